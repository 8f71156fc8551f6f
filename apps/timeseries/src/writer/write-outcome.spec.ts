import { classifyWrite, redeliveryDelayMs } from './write-outcome';

describe('classifyWrite', () => {
  it('tells a refused batch from a missing database and an outage', () => {
    expect(classifyWrite(204, undefined)).toEqual({ kind: 'written' });
    expect(classifyWrite(404, 'database not found: "iotwins_x"')).toEqual({
      kind: 'missing-database',
    });
    expect(classifyWrite(400, 'partial write: field type conflict')).toEqual({
      kind: 'rejected',
      reason: 'InfluxDB refused the batch (HTTP 400): partial write: field type conflict',
    });
    expect(classifyWrite(503, 'overloaded').kind).toBe('transient');
    expect(classifyWrite(401, 'authorization failed').kind).toBe('transient');
  });

  it('backs off exponentially up to 30 s', () => {
    expect([1, 2, 3, 10].map(redeliveryDelayMs)).toEqual([500, 1000, 2000, 30_000]);
  });
});
