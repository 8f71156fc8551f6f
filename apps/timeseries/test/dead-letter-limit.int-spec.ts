import { loadConfig } from '@iotwins/config';
import { DeadLetterHeader, maxPayloadOf } from '@iotwins/messaging';
import {
  appEnv,
  startServiceApp,
  tokens,
  uniqueName,
  waitFor,
  type RunningApp,
} from '@iotwins/testing';
import { timeseriesEnvSchema } from '../src/app.config';
import { APP_NAME, TimeseriesModule } from '../src/app.module';
import { natsAsDev, publishTelemetry, storedCount } from './timeseries.fixture';

interface DeadLetterOut {
  id: number;
  reason: string;
  lines: string[];
  truncated?: boolean;
  originalBytes?: number;
}

/**
 * A message InfluxDB refuses that is itself near the NATS payload limit (issue 19): its
 * dead letter, the body plus the original and dead-letter headers, used not to fit in one
 * message, so storing it failed and the message was handed back forever. It is now kept as a
 * truncated copy with its original size, listed as such, and its replay refused with a 422.
 */
describe('dead letter of a message near the NATS limit', () => {
  let app: RunningApp;
  let nats: Awaited<ReturnType<typeof natsAsDev>>;
  let token: string;
  let firstSeq: number;

  beforeAll(async () => {
    nats = await natsAsDev();
    firstSeq = (await nats.jsm.streams.info('DEADLETTER')).state.last_seq;
    [app, token] = await Promise.all([
      startServiceApp(
        TimeseriesModule.forRoot(loadConfig(timeseriesEnvSchema, appEnv(APP_NAME, {}))),
        APP_NAME,
      ),
      tokens.gatewayA(),
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await nats?.nc.close();
  });

  const list = async (measurement: string): Promise<DeadLetterOut[]> => {
    const response = await fetch(`${app.baseUrl}/v1/dead-letters?after=${firstSeq}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const { deadLetters } = (await response.json()) as { deadLetters: DeadLetterOut[] };
    return deadLetters.filter((letter) => letter.lines[0]?.startsWith(measurement));
  };

  it('keeps a truncated copy with its size, refuses to replay it, and goes on writing', async () => {
    const measurement = uniqueName('nearlimit');
    const witness = uniqueName('afterlimit');
    const base = 1795514400000000000n;
    await publishTelemetry(nats.js, 'tenant-a', measurement, [`${measurement} v=1i ${base}`]);
    await waitFor(
      'the integer point',
      async () => (await storedCount('tenant-a', measurement)) === 1,
    );

    // Float points on an integer field: InfluxDB refuses the whole message (type conflict).
    // The body leaves room for its own headers only, not for a dead-letter reason as well.
    const limit = maxPayloadOf(nats.nc);
    const lines: string[] = [];
    let size = 0;
    for (let i = 1n; ; i++) {
      const line = `${measurement} v=2.5 ${base + i}`;
      if (size + line.length + 1 > limit - 150) break;
      lines.push(line);
      size += line.length + 1;
    }
    const body = lines.join('\n');
    expect(body.length).toBeGreaterThan(limit - 250);
    await publishTelemetry(nats.js, 'tenant-a', measurement, lines);
    await publishTelemetry(nats.js, 'tenant-a', witness, [`${witness} v=1i ${base}`]);

    let letters: DeadLetterOut[] = [];
    await waitFor(
      'the dead letter',
      async () => {
        letters = await list(measurement);
        return letters.length === 1;
      },
      { timeoutMs: 20_000 },
    );
    const [letter] = letters;
    expect(letter).toMatchObject({ truncated: true, originalBytes: body.length });
    expect(letter!.reason).toMatch(/field type conflict/);
    const stored = (await nats.jsm.streams.getMessage('DEADLETTER', { seq: letter!.id }))!;
    expect(stored.header.get(DeadLetterHeader.Truncated)).toBe('true');
    expect(stored.data.length).toBeLessThan(body.length);
    expect(new TextDecoder().decode(stored.data)).toBe(body.slice(0, stored.data.length));

    const replay = await fetch(`${app.baseUrl}/v1/dead-letters/${letter!.id}/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(replay.status).toBe(422);
    expect(await replay.json()).toMatchObject({
      type: 'urn:iotwins:problem:dead-letter-truncated',
      detail: expect.stringMatching(new RegExp(`of ${body.length} bytes`)),
    });
    // Settled, not handed back: the message behind it was written, and it is listed once.
    await waitFor('the witness point', async () => (await storedCount('tenant-a', witness)) === 1);
    expect(await list(measurement)).toHaveLength(1);
  });
});
