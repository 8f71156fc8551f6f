import { ProblemException } from '@iotwins/http';
import { parsePointsQuery } from './points-query';

const limits = { maxLimit: 10_000, defaultLimit: 1_000, maxWindows: 1_000 };
const now = 1_800_000_000_000_000_000n;

function problemOf(run: () => unknown): Record<string, unknown> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    return (error as ProblemException).problem;
  }
  throw new Error('expected a problem');
}

describe('points query cost limits and hostile input', () => {
  it('refuses more windows than the limit, naming the limit and its value', () => {
    const problem = problemOf(() =>
      parsePointsQuery(
        'm',
        { start: '2000-01-01T00:00:00Z', aggregate: 'mean', every: '1ns' },
        limits,
        now,
      ),
    );
    expect(problem).toMatchObject({
      status: 400,
      type: 'urn:iotwins:problem:query-too-costly',
      limit: 'TIMESERIES_QUERY_MAX_WINDOWS',
      value: 1_000,
    });
    expect(problem.detail).toContain('TIMESERIES_QUERY_MAX_WINDOWS');
  });

  it('answers exactly the limit of windows', () => {
    const query = parsePointsQuery(
      'm',
      { start: '0', end: String(1_000n * 60_000_000_000n), aggregate: 'mean', every: '1m' },
      limits,
      now,
    );
    expect(query.every).toBe('1m');
    expect(() =>
      parsePointsQuery(
        'm',
        { start: '0', end: String(1_000n * 60_000_000_000n + 1n), aggregate: 'mean', every: '1m' },
        limits,
        now,
      ),
    ).toThrow(ProblemException);
  });

  it.each([
    ['a CR in the measurement', 'm\r', {}],
    ['a LF in the measurement', 'm\nx', {}],
    ['a NUL in the measurement', 'm\0', {}],
    ['a LF in a field', 'm', { fields: 'v\n' }],
    ['a NUL in a tag key', 'm', { 'tag.si\0te': 'x' }],
    ['a CR in a tag value', 'm', { 'tag.site': 'north\r' }],
  ])('refuses %s with 400', (_what, measurement, query) => {
    expect(problemOf(() => parsePointsQuery(measurement, query, limits, now))).toMatchObject({
      status: 400,
      type: 'urn:iotwins:problem:invalid-query',
    });
  });

  it.each([
    [{ start: '-9223372036854775808' }, 'start'],
    [{ end: '9223372036854775807' }, 'end'],
    [{ start: '99999999999999999999' }, 'start'],
    [{ start: '0001-01-01T00:00:00Z' }, 'start'],
    [{ end: '9999-12-31T23:59:59Z' }, 'end'],
    [{ start: '0', aggregate: 'mean', every: '9999999w' }, 'every'],
  ])('refuses out-of-range bounds and widths: %j', (query, pointer) => {
    const problem = problemOf(() => parsePointsQuery('m', query, limits, now));
    expect(problem.status).toBe(400);
    expect((problem.errors as { pointer: string }[]).map((e) => e.pointer)).toContain(pointer);
  });
});
