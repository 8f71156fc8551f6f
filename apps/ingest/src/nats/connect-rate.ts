interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * CONNECT rate of each tenant at the auth callout: a token bucket of `burst` logins refilled
 * at `perSecond`. Over it, the callout refuses at once (one signature, no identity-provider
 * call), so one tenant's reconnect storm costs the others nothing and nats-server is
 * answered well within its auth timeout. Kept in this process: each ingest replica that
 * answers callouts allows the rate (the queue group spreads logins over replicas).
 */
export class TenantConnectRate {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one login of `tenant`; false when it is over its rate. */
  take(tenant: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(tenant) ?? { tokens: this.burst, updatedAt: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.perSecond,
    );
    bucket.updatedAt = now;
    this.buckets.set(tenant, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
