import { MAX_RETENTION_MINUTES, influxDurationText, retentionMinutes } from './retention-duration';

describe('retention durations', () => {
  it('counts minutes and writes them as InfluxDB does', () => {
    expect(retentionMinutes('0s')).toBe(0);
    expect(retentionMinutes('90m')).toBe(90);
    expect(influxDurationText('520w')).toBe('87360h0m0s');
    expect(influxDurationText('90m')).toBe('1h30m0s');
    expect(influxDurationText('0s')).toBe('0s');
  });

  it('knows the longest duration InfluxDB can hold (about 292 years)', () => {
    expect(retentionMinutes('15250w')).toBeLessThanOrEqual(MAX_RETENTION_MINUTES);
    expect(retentionMinutes('999999w')).toBeGreaterThan(MAX_RETENTION_MINUTES);
  });
});
