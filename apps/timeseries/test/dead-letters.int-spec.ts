import { createServer, request, type Server } from 'node:http';
import { loadConfig } from '@iotwins/config';
import {
  appEnv,
  requireEnv,
  startServiceApp,
  tokens,
  uniqueName,
  waitFor,
  type RunningApp,
} from '@iotwins/testing';
import { timeseriesEnvSchema } from '../src/app.config';
import { APP_NAME, TimeseriesModule } from '../src/app.module';
import { influxQuery, natsAsDev, publishTelemetry, storedCount } from './timeseries.fixture';

interface DeadLetterOut {
  id: number;
  reason: string;
  lines: string[];
  points: number;
  time: string;
}

/**
 * What InfluxDB does not take after ingest acknowledged it: dead-lettered with its reason
 * (at once when InfluxDB refuses the data, after TIMESERIES_WRITER_MAX_FAILURES failed writes
 * when it fails otherwise), shown to its own tenant only, and replayable after a fix.
 */
describe('dead letters of the timeseries writer', () => {
  let app: RunningApp;
  let nats: Awaited<ReturnType<typeof natsAsDev>>;
  let tokenA: string;
  let tokenB: string;
  let operator: string;
  let firstSeq: number;
  /**
   * In front of the real InfluxDB, passing everything through except writes that carry the
   * marker measurement, which it fails with a 500 as an InfluxDB with a sick shard would.
   */
  let faulty: Server;
  const marker = uniqueName('sick');

  beforeAll(async () => {
    const influx = new URL(requireEnv('INFLUX_URL'));
    faulty = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const body = Buffer.concat(chunks);
        if (incoming.url?.startsWith('/write') && body.includes(marker)) {
          outgoing.writeHead(500, { 'content-type': 'application/json' });
          outgoing.end(JSON.stringify({ error: 'engine: error writing to shard 7' }));
          return;
        }
        const forward = request(
          {
            host: influx.hostname,
            port: influx.port,
            path: incoming.url,
            method: incoming.method,
            headers: incoming.headers,
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forward.on('error', () => outgoing.destroy());
        forward.end(body);
      });
    });
    await new Promise<void>((resolve) => faulty.listen(0, '127.0.0.1', resolve));
    const port = (faulty.address() as { port: number }).port;
    nats = await natsAsDev();
    firstSeq =
      (await nats.jsm.streams.info('DEADLETTER').catch(() => undefined))?.state.last_seq ?? 0;
    [app, tokenA, tokenB, operator] = await Promise.all([
      startServiceApp(
        TimeseriesModule.forRoot(
          loadConfig(
            timeseriesEnvSchema,
            appEnv(APP_NAME, {
              INFLUX_URL: `http://127.0.0.1:${port}`,
              TIMESERIES_WRITER_MAX_FAILURES: '3',
            }),
          ),
        ),
        APP_NAME,
      ),
      tokens.gatewayA(),
      tokens.gatewayB(),
      tokens.operator(),
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await nats?.nc.close();
    await new Promise((resolve) => faulty?.close(resolve));
  });

  const list = async (token: string, query = ''): Promise<DeadLetterOut[]> => {
    const response = await fetch(`${app.baseUrl}/v1/dead-letters?after=${firstSeq}${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { deadLetters: DeadLetterOut[] }).deadLetters;
  };
  const replay = (token: string, id: number) =>
    fetch(`${app.baseUrl}/v1/dead-letters/${id}/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
  const of = (letters: DeadLetterOut[], measurement: string) =>
    letters.filter((letter) => letter.lines.some((line) => line.startsWith(measurement)));

  it('shows a refused batch to its tenant with the reason, and replays it after a fix', async () => {
    const measurement = uniqueName('conflict');
    await publishTelemetry(nats.js, 'tenant-a', measurement, [
      `${measurement} v=1i 1795514400000000000`,
    ]);
    await waitFor(
      'the integer point',
      async () => (await storedCount('tenant-a', measurement)) === 1,
    );
    const refused = `${measurement} v=2.5 1795514400000000001`;
    await publishTelemetry(nats.js, 'tenant-a', measurement, [refused]);

    let letters: DeadLetterOut[] = [];
    await waitFor('the dead letter', async () => {
      letters = of(await list(tokenA), measurement);
      return letters.length === 1;
    });
    expect(letters[0]).toMatchObject({ lines: [refused], points: 1 });
    expect(letters[0]!.reason).toMatch(/field type conflict/);
    expect(Date.now() - Date.parse(letters[0]!.time)).toBeLessThan(60_000);
    // Another tenant sees none of it, neither listed nor by id.
    expect(of(await list(tokenB), measurement)).toEqual([]);
    expect((await replay(tokenB, letters[0]!.id)).status).toBe(404);

    // Replayed before the fix, InfluxDB refuses again and the dead letter stays.
    const again = await replay(tokenA, letters[0]!.id);
    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({ type: 'urn:iotwins:problem:replay-refused' });
    expect(of(await list(tokenA), measurement)).toHaveLength(1);

    // The fix: the tenant's operator drops the integer series; the float line now fits.
    await influxQuery(`DROP MEASUREMENT "${measurement}"`, 'iotwins_tenant-a');
    const replayed = await replay(tokenA, letters[0]!.id);
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toEqual({ id: letters[0]!.id, points: 1 });
    const rows = await influxQuery(`SELECT v FROM "${measurement}"`, 'iotwins_tenant-a');
    expect(rows.map((row) => row[1])).toEqual([2.5]);
    expect(of(await list(tokenA), measurement)).toEqual([]);
  });

  it('dead-letters a batch that keeps failing while InfluxDB answers, after the limit', async () => {
    const good = uniqueName('good');
    await publishTelemetry(nats.js, 'tenant-a', marker, [`${marker} v=1i 1795514400000000000`]);
    await publishTelemetry(nats.js, 'tenant-a', good, [`${good} v=1i 1795514400000000000`]);
    // The good batch beside it is not held up.
    await waitFor('the good point', async () => (await storedCount('tenant-a', good)) === 1);
    let letters: DeadLetterOut[] = [];
    await waitFor(
      'the failing batch dead-lettered',
      async () => {
        letters = of(await list(tokenA), marker);
        return letters.length === 1;
      },
      { timeoutMs: 20_000 },
    );
    expect(letters[0]!.reason).toMatch(/failed 3 times.*error writing to shard 7/);
    expect(letters[0]!.lines).toEqual([`${marker} v=1i 1795514400000000000`]);
  });

  it('lets a platform admin read another tenant’s dead letters, and refuses bad queries', async () => {
    expect(Array.isArray(await list(operator, '&tenant=tenant-a'))).toBe(true);
    for (const query of ['&tenant=bad.tenant', '&limit=0', '&limit=abc', '&limit=100000']) {
      const response = await fetch(`${app.baseUrl}/v1/dead-letters?after=${firstSeq}${query}`, {
        headers: { authorization: `Bearer ${operator}` },
      });
      expect(response.status).toBe(400);
    }
    expect((await replay(tokenA, 0)).status).toBe(400);
    expect((await replay(tokenA, Number.MAX_SAFE_INTEGER)).status).toBe(404);
  });
});
