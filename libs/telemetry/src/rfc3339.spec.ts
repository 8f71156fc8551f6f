import { formatRfc3339Nanoseconds, parseRfc3339Nanoseconds } from './rfc3339';

describe('RFC 3339 with nanoseconds', () => {
  it('keeps all nine fraction digits', () => {
    expect(parseRfc3339Nanoseconds('2026-11-24T10:00:00.123456789Z')).toBe(1795514400123456789n);
  });

  it('applies offsets and accepts short fractions and none', () => {
    expect(parseRfc3339Nanoseconds('2026-11-24T11:30:00.5+01:30')).toBe(1795514400500000000n);
    expect(parseRfc3339Nanoseconds('1970-01-01T00:00:00Z')).toBe(0n);
  });

  it('refuses impossible dates and other formats', () => {
    for (const bad of [
      '2026-02-30T00:00:00Z',
      '2026-11-24',
      '2026-11-24T25:00:00Z',
      '1795600800',
      '2026-11-24T10:00:00.1234567890Z',
    ]) {
      expect(parseRfc3339Nanoseconds(bad)).toBeUndefined();
    }
  });

  it('formats back to the same instant, before and after the epoch', () => {
    for (const text of [
      '2026-11-24T10:00:00.123456789Z',
      '1969-12-31T23:59:59.999999999Z',
      '1970-01-01T00:00:00.000000000Z',
    ]) {
      expect(formatRfc3339Nanoseconds(parseRfc3339Nanoseconds(text)!)).toBe(text);
    }
  });
});

describe('parseRfc3339Nanoseconds, years before 100', () => {
  it('keeps the year as written (Date.UTC would read 0001 as 1901)', () => {
    expect(parseRfc3339Nanoseconds('0001-01-01T00:00:00Z')).toBe(-62_135_596_800_000_000_000n);
  });
});
