import { TenantConnectRate } from './connect-rate';

describe('TenantConnectRate', () => {
  it('allows a burst, then the rate, per tenant', () => {
    let now = 0;
    const rate = new TenantConnectRate(2, 5, () => now);
    const taken = (tenant: string, n: number) =>
      Array.from({ length: n }, () => rate.take(tenant)).filter(Boolean).length;
    expect(taken('tenant-a', 8)).toBe(5);
    // Another tenant's bucket is its own.
    expect(taken('tenant-b', 3)).toBe(3);
    now += 1000;
    expect(taken('tenant-a', 5)).toBe(2);
    now += 10_000;
    // Refilled to the burst, never beyond.
    expect(taken('tenant-a', 8)).toBe(5);
  });
});
