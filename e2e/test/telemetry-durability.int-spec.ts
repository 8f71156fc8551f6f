import { startAppProcess, tokens, uniqueName, waitFor, type AppProcess } from '@iotwins/testing';

/**
 * The promise behind every 2xx of ingest: the points reach InfluxDB whatever process dies in
 * between. The timeseries writer is killed (SIGKILL, no shutdown hooks) in the middle of a
 * load and started again; every acknowledged point must be stored, and none twice.
 */
describe('no acknowledged point is lost when the timeseries app dies mid-load', () => {
  let ingest: AppProcess;
  let timeseries: AppProcess | undefined;
  let token: string;

  beforeAll(async () => {
    [ingest, timeseries] = await Promise.all([
      startAppProcess('ingest'),
      startAppProcess('timeseries'),
    ]);
    token = await tokens.gatewayA();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([ingest?.stop(), timeseries?.stop()]);
  });

  const count = async (measurement: string): Promise<number> => {
    const response = await fetch(
      `${timeseries!.baseUrl}/v1/measurements/${measurement}/points?aggregate=count&fields=v&start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const body = (await response.json()) as { series: { points: { fields: { v: number } }[] }[] };
    return body.series.reduce((sum, series) => sum + (series.points[0]?.fields.v ?? 0), 0);
  };

  it('stores every acknowledged point exactly once after a crash and restart', async () => {
    const measurement = uniqueName('durability');
    const batches = 40;
    const perBatch = 2_000;
    let acknowledged = 0;
    let killed = false;
    const base = 1_795_514_400_000_000_000n;

    for (let batch = 0; batch < batches; batch++) {
      const lines: string[] = [];
      for (let i = 0; i < perBatch; i++) {
        const n = batch * perBatch + i;
        lines.push(`${measurement},gw=g${n % 4} v=${n}i ${base + BigInt(n)}`);
      }
      const response = await fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
        method: 'POST',
        body: lines.join('\n'),
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status === 204) acknowledged += perBatch;
      if (batch === 10 && !killed) {
        // Mid-load: the writer has some batches in InfluxDB, some unacked, more are coming.
        await timeseries!.stop('SIGKILL');
        killed = true;
      }
    }
    expect(killed).toBe(true);
    expect(acknowledged).toBe(batches * perBatch);

    timeseries = await startAppProcess('timeseries');
    await waitFor(
      `${acknowledged} points stored`,
      async () => (await count(measurement)) >= acknowledged,
      {
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    );
    // Redelivered batches overwrite the same points; the count must not exceed what was sent.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await count(measurement)).toBe(acknowledged);
  }, 240_000);
});
