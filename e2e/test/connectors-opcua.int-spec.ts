import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  type AppProcess,
} from '@iotwins/testing';
import {
  ConnectorsApi,
  MachineTool,
  nanoTime,
  storedPoints,
  type StoredPoint,
} from './connectors-peers.fixture';

/**
 * The OPC-UA source end to end: node-opcua's own server simulating a CNC machine tool
 * (scripts/opcua-machine-tool.js), ingest subscribing to its variables, timeseries answering
 * with exactly the values the server published, at the source timestamps.
 */
describe('connectors: OPC-UA source from a simulated machine tool', () => {
  const USER = 'operator';
  const PASSWORD = 'opcua-test-secret-5e1';
  /** Variables of the machine tool, the field each is stored as, and its stored type. */
  const VARIABLES = [
    { node: 'ns=1;s=SpindleSpeed', field: 'spindle_speed', type: 'float' },
    { node: 'ns=1;s=FeedRate', field: 'feed_rate', type: 'float' },
    { node: 'ns=1;s=AxisX', field: 'x', type: 'float' },
    { node: 'ns=1;s=AxisY', field: 'y', type: 'float' },
    { node: 'ns=1;s=AxisZ', field: 'z', type: 'float' },
    { node: 'ns=1;s=SpindleTemperature', field: 'spindle_temp', type: 'float' },
    { node: 'ns=1;s=Status', field: 'status', type: 'string' },
    { node: 'ns=1;s=PartCount', field: 'parts', type: 'integer' },
    { node: 'ns=1;s=Alarm', field: 'alarm', type: 'boolean' },
  ] as const;

  /** The machine tool's trusted operator certificate, and ingest's own OPC-UA PKI. */
  const scratch = mkdtempSync(join(tmpdir(), 'iotwins-opcua-spec-'));
  const operatorCertDir = join(scratch, 'operator');
  const pkiDir = join(scratch, 'ingest-pki');
  let machine: MachineTool;
  let ingest: AppProcess;
  let timeseries: AppProcess;
  let token: string;
  let api: ConnectorsApi;

  beforeAll(async () => {
    machine = new MachineTool(await freePort(), {
      OPCUA_SIM_INTERVAL_MS: '300',
      OPCUA_SIM_USER: USER,
      OPCUA_SIM_PASSWORD: PASSWORD,
      OPCUA_SIM_USER_CERT_DIR: operatorCertDir,
    });
    [, ingest, timeseries] = await Promise.all([
      machine.start(),
      startAppProcess('ingest', { CONNECTORS_OPCUA_PKI_DIR: pkiDir }),
      startAppProcess('timeseries'),
    ]);
    token = await tokens.gatewayA();
    api = new ConnectorsApi(ingest, () => token);
  }, 120_000);

  afterAll(async () => {
    await api?.removeAll();
    await Promise.all([ingest?.stop(), timeseries?.stop(), machine?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  const machineConfig = (measurement: string, overrides: Record<string, unknown> = {}) => ({
    endpointUrl: machine.endpointUrl,
    publishingIntervalMs: 200,
    items: VARIABLES.map((variable, index) => ({
      nodeId: variable.node,
      // Exception-based for some, sampled for the others: both report every change here.
      samplingIntervalMs: index % 2 === 0 ? 0 : 100,
      measurement,
      tags: { machine: 'cnc-1', cell: 'c4' },
      field: variable.field,
    })),
    ...overrides,
  });

  /** The field value as the query API shows it: integers are typed, the rest plain JSON. */
  const shown = (type: string, value: number | string | boolean): unknown =>
    type === 'integer' ? { type: 'integer', value } : value;

  /** Every stored field equals what the server published at that time, and no change is missing. */
  const expectExactlyPublished = (points: StoredPoint[], from = '') => {
    const published = VARIABLES.map((v) => ({ ...v, values: machine.valuesOf(v.node) }));
    const times = points
      .map((p) => p.time)
      .filter((time) => time > from)
      .sort();
    expect(times.length).toBeGreaterThan(0);
    for (const point of points) {
      if (point.time <= from) continue;
      expect(point.tags).toEqual({ machine: 'cnc-1', cell: 'c4' });
      for (const [field, value] of Object.entries(point.fields)) {
        const variable = published.find((v) => v.field === field)!;
        const at = [...variable.values.keys()].find((time) => nanoTime(time) === point.time);
        expect({ field, time: point.time, value }).toEqual({
          field,
          time: point.time,
          value: shown(variable.type, variable.values.get(at!)!),
        });
      }
    }
    // OPC-UA reports changes: every change the server published from the first stored time
    // on was stored (a value repeated by the next tick is no change).
    const first = times[0]!;
    const lastMs = Date.parse(times[times.length - 1]!.replace(/(\.\d{3})\d{6}Z$/, '$1Z'));
    const byTime = new Map(points.map((p) => [p.time, p]));
    let ticks = 0;
    for (const variable of VARIABLES) {
      let previous: unknown;
      for (const value of machine.published.filter((p) => p.node === variable.node)) {
        const time = nanoTime(value.time);
        const changed = value.value !== previous;
        previous = value.value;
        // A sampled item's change may still be on its way while later ones are stored (longer
        // on a loaded machine): the last 3 s before the newest stored time are not judged.
        if (!changed || time < first || Date.parse(value.time) >= lastMs - 3000) continue;
        ticks += 1;
        expect({
          field: variable.field,
          time,
          stored: byTime.get(time)?.fields[variable.field],
        }).toEqual({
          field: variable.field,
          time,
          stored: shown(variable.type, value.value),
        });
      }
    }
    return ticks;
  };

  it('refuses a bad configuration naming every wrong field', async () => {
    const bad = await api.create('bad', 'opcua-source', {
      endpointUrl: 'http://127.0.0.1:4840',
      securityMode: 'Encrypt',
      user: { type: 'username', username: 'operator' },
      items: [{ nodeId: 'Spindle', measurement: 'm', field: 'f', samplingIntervalMs: -1 }],
    });
    expect(bad.status).toBe(400);
    const pointers = bad.body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual([
      '/config/endpointUrl',
      '/config/items/0/nodeId',
      '/config/items/0/samplingIntervalMs',
      '/config/securityMode',
      '/config/user/password',
    ]);
    expect(bad.body.errors).toContainEqual({
      pointer: '/config/items/0/nodeId',
      detail: 'expected an OPC-UA node id such as "ns=2;s=Spindle.Speed" or "i=2258"',
    });

    const mismatched = await api.create('bad', 'opcua-source', {
      ...machineConfig('m'),
      securityMode: 'SignAndEncrypt',
      items: [
        { nodeId: 'ns=1;s=A', measurement: 'm', field: 'f' },
        { nodeId: 'ns=1;s=A', measurement: 'm', field: 'g' },
      ],
    });
    expect(mismatched.status).toBe(400);
    const notPem = await api.create('bad', 'opcua-source', {
      ...machineConfig('m'),
      user: { type: 'certificate', certificate: 'MIIB…', privateKey: { value: 'k' } },
    });
    expect(notPem.body.errors).toEqual([
      {
        pointer: '/config/user/certificate',
        detail: 'expected an X.509 certificate in PEM (-----BEGIN CERTIFICATE-----)',
      },
    ]);
    expect(mismatched.body.errors).toEqual([
      {
        pointer: '/config/securityPolicy',
        detail:
          'expected a security policy such as "Basic256Sha256" with securityMode "SignAndEncrypt"',
      },
      { pointer: '/config/items/1/nodeId', detail: 'already monitored by item 0' },
    ]);
  });

  let runningId: string;
  let measurement: string;

  it('stores exactly the values the machine tool published, at their source timestamps', async () => {
    measurement = uniqueName('cnc');
    const created = await api.create(uniqueName('machine-tool'), 'opcua-source', {
      ...machineConfig(measurement),
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      user: { type: 'username', username: USER, password: { value: PASSWORD } },
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain(PASSWORD);
    expect(created.body.config.user).toEqual({
      type: 'username',
      username: USER,
      password: { set: true },
    });
    runningId = created.body.id as string;

    await waitFor(
      'twenty-five ticks stored',
      async () => {
        return (await storedPoints(timeseries, token, measurement)).length >= 25;
      },
      { timeoutMs: 60_000 },
    );
    const points = await storedPoints(timeseries, token, measurement);
    expect(expectExactlyPublished(points)).toBeGreaterThanOrEqual(8 * 6);

    // One point per change; InfluxDB merges the changes of one tick into one row.
    const changes = points.reduce((sum, point) => sum + Object.keys(point.fields).length, 0);
    await waitFor(
      'the counters',
      async () => (await api.status(runningId)).pointsWritten >= changes,
    );
    const status = await api.status(runningId);
    expect(status.state).toBe('running');
    expect(status.recordsRefused).toBe(0);
    expect(status.recordsRead).toBe(status.pointsWritten);
    // Signed and encrypted with the client certificate made in CONNECTORS_OPCUA_PKI_DIR.
    expect(existsSync(join(pkiDir, 'own/certs/client_certificate.pem'))).toBe(true);
  }, 90_000);

  it('reconnects and resumes the subscription after the server went away', async () => {
    await machine.stop('SIGKILL');
    const killedAt = new Date().toISOString();
    try {
      await waitFor(
        'a failing status',
        async () => (await api.status(runningId)).state === 'failing',
        {
          timeoutMs: 30_000,
        },
      );
      const failing = await api.status(runningId);
      expect(failing.lastError).toMatch(
        new RegExp(
          `^(connection to ${machine.endpointUrl} (lost|closed)|${machine.endpointUrl} stopped answering|cannot connect to ${machine.endpointUrl}: .+)`,
        ),
      );
    } finally {
      // Back up even when the checks above failed: the later tests need the machine tool.
      await machine.start();
    }
    await waitFor('running again', async () => (await api.status(runningId)).state === 'running', {
      timeoutMs: 60_000,
    });
    await waitFor(
      'new values after the restart',
      async () => {
        const points = await storedPoints(timeseries, token, measurement);
        return points.filter((p) => p.time > nanoTime(killedAt)).length >= 5;
      },
      { timeoutMs: 30_000 },
    );
    const points = await storedPoints(timeseries, token, measurement);
    expectExactlyPublished(points, nanoTime(killedAt));
  }, 150_000);

  it('opens the session with a user certificate the machine trusts, and not with another', async () => {
    const measurement2 = uniqueName('cnc-cert');
    const trusted = await api.create(uniqueName('operator-cert'), 'opcua-source', {
      ...machineConfig(measurement2),
      securityMode: 'Sign',
      securityPolicy: 'Basic256Sha256',
      user: {
        type: 'certificate',
        certificate: readFileSync(join(operatorCertDir, 'operator.pem'), 'utf8'),
        privateKey: { value: readFileSync(join(operatorCertDir, 'operator.key'), 'utf8') },
      },
    });
    expect(trusted.status).toBe(201);
    expect(trusted.body.config.user.privateKey).toEqual({ set: true });
    const id = trusted.body.id as string;
    await waitFor('points from a certificate session', async () => {
      return (await storedPoints(timeseries, token, measurement2)).length >= 3;
    });
    // The status reaches KV within a second of the session, not with the points.
    await waitFor('running', async () => (await api.status(id)).state === 'running');
    expectExactlyPublished(await storedPoints(timeseries, token, measurement2));

    // Ingest's own application certificate is real, but the machine does not trust it as a user.
    const untrusted = await api.create(uniqueName('stranger-cert'), 'opcua-source', {
      ...machineConfig(uniqueName('never')),
      securityMode: 'Sign',
      securityPolicy: 'Basic256Sha256',
      user: {
        type: 'certificate',
        certificate: readFileSync(join(pkiDir, 'own/certs/client_certificate.pem'), 'utf8'),
        privateKey: {
          value: readFileSync(join(pkiDir, 'own/private/private_key.pem'), 'utf8'),
        },
      },
    });
    expect(untrusted.status).toBe(201);
    const strangerId = untrusted.body.id as string;
    await waitFor('refused', async () => (await api.status(strangerId)).state === 'failing');
    expect((await api.status(strangerId)).lastError).toBe(
      `session refused by ${machine.endpointUrl}: BadIdentityTokenRejected (0x80210000)`,
    );
    for (const remove of [id, strangerId])
      expect((await api.call('DELETE', `/v1/connectors/${remove}`)).status).toBe(204);
  }, 90_000);

  it('shows the precise reason of each failure while another connector keeps running', async () => {
    const closedPort = await freePort();
    const failures = [
      {
        config: {
          ...machineConfig(uniqueName('never')),
          user: { type: 'username', username: USER, password: { value: 'wrong-password' } },
        },
        reason: `session refused by ${machine.endpointUrl}: BadUserAccessDenied (0x801f0000)`,
      },
      {
        config: {
          ...machineConfig(uniqueName('never')),
          items: [
            { nodeId: 'ns=1;s=SpindleSpeed', measurement: 'm', field: 'speed' },
            { nodeId: 'ns=1;s=NoSuchVariable', measurement: 'm', field: 'nothing' },
          ],
        },
        reason: 'item 1 (ns=1;s=NoSuchVariable): BadNodeIdUnknown (0x80340000)',
      },
      {
        config: {
          ...machineConfig(uniqueName('never')),
          endpointUrl: `opc.tcp://127.0.0.1:${closedPort}/UA/MachineTool`,
        },
        reason: `cannot connect to opc.tcp://127.0.0.1:${closedPort}/UA/MachineTool: `,
      },
      {
        // 0.0.0.0/8 is never reachable: were the guard missing, no packet would leave either.
        config: {
          ...machineConfig(uniqueName('never')),
          endpointUrl: 'opc.tcp://0.0.0.7:4840/UA/X',
        },
        reason:
          'cannot connect to opc.tcp://0.0.0.7:4840/UA/X: 0.0.0.7 is an internal address the platform does not call for tenants (an operator may allow it in OUTBOUND_ALLOWED_CIDRS)',
      },
    ];
    const ids: string[] = [];
    for (const failure of failures) {
      const created = await api.create(uniqueName('failing'), 'opcua-source', failure.config);
      expect(created.status).toBe(201);
      ids.push(created.body.id as string);
    }
    const writtenBefore = (await api.status(runningId)).pointsWritten as number;
    for (const [index, id] of ids.entries()) {
      await waitFor(`failure ${index}`, async () => (await api.status(id)).state === 'failing', {
        timeoutMs: 30_000,
      });
      const status = await api.status(id);
      expect(status.lastError.startsWith(failures[index]!.reason)).toBe(true);
      expect(JSON.stringify(status)).not.toContain('wrong-password');
    }
    // The healthy connector went on storing meanwhile.
    await waitFor('the healthy connector writes on', async () => {
      const status = await api.status(runningId);
      return status.state === 'running' && status.pointsWritten > writtenBefore + 9 * 3;
    });
    for (const id of ids)
      expect((await api.call('DELETE', `/v1/connectors/${id}`)).status).toBe(204);
  }, 120_000);
});
