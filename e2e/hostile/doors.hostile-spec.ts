import { tokens, uniqueName, waitFor } from '@iotwins/testing';
import { attackConnectorDoors } from './connector-doors';
import { attackGrpcDoor } from './grpc-doors';
import { attackHttpDoor, doorName } from './http-doors';
import { attackMqttDoor } from './mqtt-doors';
import { attackNatsDoors } from './nats-doors';
import { AppFleet, FreshToken, HostileRun, reportSummary } from './hostile-run';
import { readHttpDoors, type HttpDoor } from './openapi-doors';
import { SeededRandom, hostileSeed } from './seeded-random';
import { Witness, type WitnessReport } from './witness';

/**
 * The hostile-input tier (issue 19): every door of every app, as tenant-a with its ordinary
 * credentials, gets a generated corpus of hostile values, while tenant-b, the witness,
 * writes, reads and checks every app's liveness every ~100 ms. Nothing may answer a 5xx or
 * a non-problem error, no app may exit, and the witness must see no error and a p99 under
 * WITNESS_P99_BOUND_MS. A failure names the door and the case, so it can be sent again
 * (deterministic: HOSTILE_SEED).
 */
const APPS = ['ingest', 'timeseries', 'objectstore', 'model-registry', 'retrainer'] as const;
/** Holds on a quiet 2-core CI machine running the tiers one after the other. */
const WITNESS_P99_BOUND_MS = 500;
const CASES_PER_DOOR = Number(process.env.HOSTILE_CASES_PER_DOOR ?? 40);

describe('hostile input at every door', () => {
  const run = new HostileRun();
  const seed = hostileSeed();
  const startedAt = Date.now();
  let fleet: AppFleet;
  /** tenant-a's person with every role (REST), and its gateway (NATS, gRPC): ordinary credentials. */
  let attacker: FreshToken;
  let gateway: FreshToken;
  let witness: Witness;
  let witnessReport: WitnessReport | undefined;
  const created: { app: string; path: string }[] = [];

  beforeAll(async () => {
    fleet = new AppFleet(run, {
      // Its own durable consumer, so the tier's observations reach this retrainer only.
      retrainer: {
        OBSERVATIONS_CONSUMER: uniqueName('hostile-retrainer').replace(/[^A-Za-z0-9_-]/g, '_'),
      },
    });
    await fleet.start(APPS);
    attacker = new FreshToken(tokens.alice);
    gateway = new FreshToken(tokens.gatewayA);
    witness = new Witness(
      fleet,
      run,
      new FreshToken(tokens.gatewayB),
      uniqueName('hostile_witness'),
    );
    await witness.start();
  }, 300_000);

  afterAll(async () => {
    if (!witnessReport) await witness?.stop().catch(() => undefined);
    const token = await attacker?.get().catch(() => undefined);
    for (const resource of created) {
      const app = fleet.running(resource.app);
      if (app && token)
        await fetch(`${app.baseUrl}${resource.path}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        }).catch(() => undefined);
    }
    await fleet?.stop();
  }, 120_000);

  it('answers every HTTP operation of every app without a 5xx, and every error as problem+json', async () => {
    const doors: HttpDoor[] = [];
    for (const name of APPS)
      doors.push(...(await readHttpDoors(name, (await fleet.app(name)).baseUrl)));
    expect(doors.length).toBeGreaterThan(APPS.length);
    // One app's doors after another's in parallel across apps: each app sees one case at a
    // time, so a crash or stall names the case that caused it.
    await Promise.all(
      APPS.map(async (name) => {
        for (const door of doors.filter((one) => one.app === name))
          await attackHttpDoor(
            door,
            fleet,
            run,
            attacker,
            new SeededRandom(seed, doorName(door)),
            CASES_PER_DOOR,
            created,
          );
      }),
    );
    expect(run.failuresOf('http ')).toEqual([]);
  }, 900_000);

  it('answers every connector mapping and declaration without a 5xx or a held event loop', async () => {
    fleet.newPhase();
    await attackConnectorDoors(
      fleet,
      run,
      attacker,
      new SeededRandom(seed, 'connectors'),
      CASES_PER_DOOR,
      created,
    );
    expect(run.failuresOf('connectors ')).toEqual([]);
  }, 900_000);

  it("answers every MQTT publish on ingest's endpoint with a PUBACK or a DISCONNECT, never silence", async () => {
    fleet.newPhase();
    await attackMqttDoor(fleet, run, new SeededRandom(seed, 'mqtt'), 2 * CASES_PER_DOOR);
    expect(run.failuresOf('mqtt ')).toEqual([]);
  }, 900_000);

  it('answers every gRPC Write stream without a server failure', async () => {
    fleet.newPhase();
    await attackGrpcDoor(fleet, run, gateway, new SeededRandom(seed, 'grpc'), 2 * CASES_PER_DOOR);
    expect(run.failuresOf('grpc ')).toEqual([]);
  }, 900_000);

  it('survives every message a tenant may publish on NATS', async () => {
    fleet.newPhase();
    await attackNatsDoors(
      fleet,
      run,
      gateway,
      (door) => new SeededRandom(seed, door),
      2 * CASES_PER_DOOR,
    );
    expect(run.failuresOf('nats ')).toEqual([]);
  }, 900_000);

  it('kept every app running: none exited or was restarted', async () => {
    for (const name of APPS)
      await waitFor(
        `${name} live`,
        async () => (await fetch(`${(await fleet.app(name)).baseUrl}/health/live`)).status === 200,
      );
    expect(fleet.exits).toEqual([]);
  }, 120_000);

  it('kept the witness tenant served: no error, p99 under the bound, every acknowledged point stored', async () => {
    witnessReport = await witness.stop();
    const summary = reportSummary({
      doors: run.doors.size,
      cases: run.cases,
      serverErrors: run.serverErrors,
      restarts: fleet.restarts,
      failures: run.failures.length,
      witness: witnessReport,
      seed,
      durationMs: Date.now() - startedAt,
      failureList: run.failures,
    });
    console.log(summary);
    expect(witnessReport.incidents.filter((one) => one.includes('FAILED'))).toEqual([]);
    expect(witnessReport.errors).toBe(0);
    expect(witnessReport.p99Ms).toBeLessThan(WITNESS_P99_BOUND_MS);
    await waitFor(
      'every witness point stored',
      async () => (await witness.storedCount()) === witnessReport!.written,
      { timeoutMs: 30_000 },
    );
  }, 120_000);
});
