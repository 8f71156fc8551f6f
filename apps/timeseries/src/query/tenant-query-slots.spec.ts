import { ProblemException } from '@iotwins/http';
import type { TimeseriesConfig } from '../app.config';
import { TenantQuerySlots } from './tenant-query-slots';

const slotsOf = (max: number) =>
  new TenantQuerySlots({ TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT: max } as TimeseriesConfig);

describe('TenantQuerySlots', () => {
  it('refuses the query past the limit with 429 naming it, per tenant, until one ends', () => {
    const slots = slotsOf(2);
    const first = slots.acquire('tenant-a');
    slots.acquire('tenant-a');
    let refused: ProblemException | undefined;
    try {
      slots.acquire('tenant-a');
    } catch (error) {
      refused = error as ProblemException;
    }
    expect(refused?.problem).toMatchObject({
      status: 429,
      type: 'urn:iotwins:problem:too-many-queries',
      limit: 'TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT',
      value: 2,
    });
    expect(refused?.headers).toEqual({ 'Retry-After': '1' });
    // Another tenant is not held up by tenant-a.
    expect(() => slots.acquire('tenant-b')).not.toThrow();
    first();
    first(); // giving a slot back twice frees it once
    expect(() => slots.acquire('tenant-a')).not.toThrow();
    expect(() => slots.acquire('tenant-a')).toThrow(ProblemException);
  });

  it('gives the slot back when the work fails', async () => {
    const slots = slotsOf(1);
    await expect(slots.run('t', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run('t', () => Promise.resolve(7))).resolves.toBe(7);
  });
});
