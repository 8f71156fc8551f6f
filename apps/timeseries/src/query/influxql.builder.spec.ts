import { ProblemException } from '@iotwins/http';
import { buildLastStatement, buildPointsStatement } from './influxql.builder';
import { parsePointsQuery } from './points-query';

const limits = { maxLimit: 10_000, defaultLimit: 1_000, maxWindows: 10_000 };
const now = 1_000_000_000_000n;

describe('points queries', () => {
  it('builds a raw range query with quoted names and tag filters', () => {
    const query = parsePointsQuery(
      'wind "turbine"',
      { start: '0', end: '100', fields: 'power,rpm', 'tag.site': "n'orth" },
      limits,
      now,
    );
    expect(buildPointsStatement('iotwins_tenant-a', query)).toBe(
      'SELECT "power", "rpm" FROM "iotwins_tenant-a"."iotwins"."wind \\"turbine\\"" ' +
        "WHERE time >= 0 AND time < 100 AND \"site\" = 'n\\'orth' GROUP BY * ORDER BY time ASC LIMIT 1000",
    );
  });

  it('builds windowed aggregates, percentiles, fill, order and pagination', () => {
    const query = parsePointsQuery(
      'm',
      {
        start: '2026-11-24T00:00:00Z',
        end: '2026-11-25T00:00:00Z',
        fields: 'v',
        aggregate: 'percentile',
        percentile: '95',
        every: '1h',
        fill: 'previous',
        limit: '10',
        offset: '20',
        order: 'desc',
      },
      limits,
      now,
    );
    expect(buildPointsStatement('db', query)).toBe(
      'SELECT PERCENTILE("v", 95) AS "v" FROM "db"."iotwins"."m" WHERE time >= 1795478400000000000 AND time < 1795564800000000000 ' +
        'GROUP BY time(1h), * fill(previous) ORDER BY time DESC LIMIT 10 OFFSET 20',
    );
  });

  it('defaults to the last hour', () => {
    const query = parsePointsQuery('m', {}, limits, now);
    expect([query.startNs, query.endNs]).toEqual([now - 3_600_000_000_000n, now]);
  });

  it('reports every invalid parameter and lets nothing through unquoted', () => {
    let problem: ProblemException | undefined;
    try {
      parsePointsQuery(
        'm',
        {
          aggregate: 'drop',
          every: '1h; DROP',
          fill: 'x',
          limit: '0',
          start: 'later',
          percentile: '5',
        },
        limits,
        now,
      );
    } catch (error) {
      problem = error as ProblemException;
    }
    expect(problem?.problem.errors?.map((e) => e.pointer)).toEqual([
      'start',
      'aggregate',
      'percentile',
      'every',
      'every',
      'fill',
      'limit',
    ]);
  });

  it('builds the last value of each series', () => {
    expect(buildLastStatement('db', 'm', { site: 'a' })).toBe(
      `SELECT * FROM "db"."iotwins"."m" WHERE "site" = 'a' GROUP BY * ORDER BY time DESC LIMIT 1`,
    );
  });
});
