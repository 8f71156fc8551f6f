import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  DEAD_LETTER_STREAM,
  DeadLetterHeader,
  maxPayloadOf,
  observationsDeadLetterSubject,
} from '@iotwins/messaging';
import { tokens, uniqueName, waitFor, type AppProcess } from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
import {
  Api,
  TENANT,
  publishObservations,
  regressionMonitor,
  RetrainerTestbed,
} from './retrainer.fixture';

const WITNESS = 'tenant-b';

interface DeadLetterSeen {
  subject: string;
  reason: string;
  originalSize: number;
  truncated: boolean;
  bytes: number;
}

/**
 * One tenant's poison on the OBSERVATIONS stream (issue 19): a 1 MB invalid observation whose
 * dead letter used to exceed the NATS payload limit and crash the retrainer into a loop, an
 * id with a NUL and a subject whose model decodes to a NUL, which PostgreSQL refused at every
 * commit retry. Meanwhile another tenant's observations keep being committed, measured in
 * PostgreSQL, and the process is never restarted. Needs `apps/retrainer/dist` (build first).
 */
describe('retrainer under poison messages', () => {
  const testbed = new RetrainerTestbed('retrainer-poison');
  const { database } = testbed;
  let registry: RegistryResponder;
  let nc: NatsConnection;
  let app: AppProcess;
  const poisonModel = uniqueName('pq-poison');
  const witnessModel = uniqueName('pq-witness');
  const deadLetters: DeadLetterSeen[] = [];
  let stopWatching: () => void = () => undefined;

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
    registry.addVersion(
      TENANT,
      poisonModel,
      { version: 1, status: 'ready', metrics: {}, lineage: {} },
      ['production'],
    );
    // What reaches the dead-letter stream for tenant-a while the spec runs (ours only).
    const subscription = nc.subscribe(observationsDeadLetterSubject(TENANT), {
      callback: (error, message) => {
        if (error) return;
        const subject = message.headers?.get(DeadLetterHeader.Subject) ?? '';
        if (!subject.includes(poisonModel) && !subject.endsWith('.x%00y')) return;
        deadLetters.push({
          subject,
          reason: message.headers?.get(DeadLetterHeader.Reason) ?? '',
          originalSize: Number(message.headers?.get(DeadLetterHeader.OriginalSize)),
          truncated: message.headers?.get(DeadLetterHeader.Truncated) === 'true',
          bytes: message.data.length,
        });
      },
    });
    stopWatching = () => subscription.unsubscribe();
    app = await testbed.startProcess();
  });

  afterAll(async () => {
    stopWatching();
    await testbed.close();
  });

  /** What PostgreSQL holds for the witness model: committed counts only. */
  async function committedWitness(): Promise<number> {
    const rows = await database.query<{ unmonitored: string }>(
      `SELECT counts->>'unmonitored' AS unmonitored FROM observation_counts
        WHERE tenant = $1 AND model = $2`,
      [WITNESS, witnessModel],
    );
    return Number(rows[0]?.unmonitored ?? 0);
  }

  it('dead-letters the poison as bounded copies and keeps committing the other tenant, same process', async () => {
    const pid = app.process.pid;
    const api = new Api(app.baseUrl, await tokens.alice());
    // A monitor on tenant-a's model, so its observations reach the pairing rows (the NUL
    // id used to end up in pending_observations, which PostgreSQL refuses).
    expect((await api.request('POST', '/v1/monitors', regressionMonitor(poisonModel))).status).toBe(
      201,
    );

    let published = 0;
    const witness = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await publishObservations(nc, WITNESS, witnessModel, 'prediction', {
          id: `w-${published}`,
          value: published,
        });
        published += 1;
      }
    };
    await witness(5);
    await waitFor('the witness committed', async () => (await committedWitness()) === 5);

    const js = jetstream(nc);
    const poisonedAt = Date.now();
    // ~1 MB, invalid (the value is an object), as large as NATS takes from a publisher.
    const limit = maxPayloadOf(nc);
    const filler = 'x'.repeat(limit - 200);
    const poison = new TextEncoder().encode(JSON.stringify({ id: 'big', value: { filler } }));
    expect(poison.length).toBeGreaterThan(limit - 300);
    expect(poison.length).toBeLessThanOrEqual(limit);
    await js.publish(`predictions.${TENANT}.${poisonModel}`, poison);
    await witness(5);
    await js.publish(
      `predictions.${TENANT}.${poisonModel}`,
      JSON.stringify([{ id: 'a\u0000b', value: 1 }]),
    );
    await witness(5);
    await js.publish(`predictions.${TENANT}.x%00y`, JSON.stringify([{ id: 'n', value: 1 }]));
    await witness(5);

    // Every witness observation, published before and after each poison, is committed.
    await waitFor('the witness committed after the poison', async () => {
      return (await committedWitness()) === 20;
    });
    process.stdout.write(
      `witness: 15 observations published among the poison all committed within ${Date.now() - poisonedAt} ms\n`,
    );
    await waitFor('three dead letters', async () => deadLetters.length >= 3);

    const big = deadLetters.find((d) => d.originalSize === poison.length)!;
    expect(big).toBeDefined();
    expect(big.truncated).toBe(true);
    expect(big.bytes).toBeLessThan(poison.length);
    expect(big.reason).toMatch(/\/value/);
    const nulId = deadLetters.find((d) => /NUL/.test(d.reason) && d.subject.includes(poisonModel));
    expect(nulId).toMatchObject({ truncated: false, reason: expect.stringMatching(/^\/0\/id: /) });
    const nulSubject = deadLetters.find((d) => d.subject.endsWith('.x%00y'));
    expect(nulSubject).toMatchObject({ truncated: false, reason: expect.stringMatching(/NUL/) });

    // The refused ones count as invalid for tenant-a's model; nothing else of theirs is kept.
    const monitor = (await api.request('GET', `/v1/monitors?model=${poisonModel}`)).body
      .monitors[0];
    expect(monitor.observations).toMatchObject({ invalid: 2, pendingPredictions: 0 });

    // The same process did all of it: never exited, never restarted.
    expect(app.process.pid).toBe(pid);
    expect(app.process.exitCode).toBeNull();
    expect(app.output()).not.toMatch(/commit failed/);
  });

  it('leaves out a row PostgreSQL refuses, dead-lettered, while the rest of its batch commits', async () => {
    const pid = app.process.pid;
    // A refusal the edge cannot foresee, made by this spec's own database: one pairing key
    // is refused as PostgreSQL refuses a NUL (SQLSTATE 22P05).
    await database.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.pair_key LIKE '%refused-by-store%' THEN
          RAISE EXCEPTION 'unsupported Unicode escape sequence' USING ERRCODE = '22P05';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON pending_observations
        FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
    const before = await committedWitness();
    const jsm = await jetstreamManager(nc);
    const deadBefore = (await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages;
    // One batch: witness, the refused row, witness again.
    await publishObservations(nc, WITNESS, witnessModel, 'prediction', { id: 'b1', value: 1 });
    await publishObservations(nc, TENANT, poisonModel, 'prediction', {
      id: 'refused-by-store',
      value: 1,
    });
    await publishObservations(nc, TENANT, poisonModel, 'prediction', { id: 'fine', value: 1 });
    await publishObservations(nc, WITNESS, witnessModel, 'prediction', { id: 'b2', value: 2 });

    await waitFor('the witness committed', async () => (await committedWitness()) === before + 2);
    await waitFor('the refused one dead-lettered', async () =>
      deadLetters.some((d) => /PostgreSQL refused/.test(d.reason)),
    );
    const pending = await database.query<{ pair_key: string }>(
      `SELECT pair_key FROM pending_observations WHERE tenant = $1 AND model = $2`,
      [TENANT, poisonModel],
    );
    // The other prediction of tenant-a in the same batch waits for its actual, as it should.
    expect(pending.map((row) => row.pair_key)).toEqual(['id:fine']);
    // The API shows what is committed: the refused prediction is not counted as waiting.
    const api = new Api(app.baseUrl, await tokens.alice());
    const monitor = (await api.request('GET', `/v1/monitors?model=${poisonModel}`)).body
      .monitors[0];
    expect(monitor.observations).toMatchObject({ pendingPredictions: 1 });
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBeGreaterThan(deadBefore);
    expect(app.process.pid).toBe(pid);
    expect(app.process.exitCode).toBeNull();
  });
});
