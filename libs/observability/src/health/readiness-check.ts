/**
 * One dependency an app needs before it can serve. `probe` resolves when the dependency
 * answers a real request and rejects (or hangs, cut by the timeout) when it does not.
 */
export interface ReadinessCheck {
  readonly name: string;
  /**
   * False for a dependency the app serves without (ingest's rate limiter fails open): its
   * state is reported in the details but never makes the app unready. Default true.
   */
  readonly required?: boolean;
  probe(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export const READINESS_TIMEOUT_MS = Symbol('READINESS_TIMEOUT_MS');

export class ReadinessTimeoutError extends Error {
  constructor(name: string, timeoutMs: number) {
    super(`${name} did not answer within ${timeoutMs} ms`);
  }
}

/** Rejects when the probe rejects or takes longer than the timeout. */
export async function probeWithTimeout(check: ReadinessCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadinessTimeoutError(check.name, timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([check.probe(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
