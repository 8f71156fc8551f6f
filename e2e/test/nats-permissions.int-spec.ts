import { PermissionViolationError, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { requireEnv, uniqueName } from '@iotwins/testing';

/**
 * Least privilege of every service login in deploy/nats/nats.conf, through the real
 * nats-server: a table of operations and the logins that need each one. Every login is
 * refused every operation it does not need; the operator login (`dev`) is allowed the ones
 * that are harmless to perform, which shows the probe tells the two apart.
 */
type Login =
  | 'dev'
  | 'ingest'
  | 'timeseries'
  | 'objectstore'
  | 'model-registry'
  | 'retrainer'
  | 'minio';
const LOGINS: readonly Login[] = [
  'dev',
  'ingest',
  'timeseries',
  'objectstore',
  'model-registry',
  'retrainer',
  'minio',
];

interface Operation {
  name: string;
  kind: 'publish' | 'subscribe';
  subject: string;
  queue?: string;
  /** Logins whose job needs it (dev, the operator, is added to every row). */
  neededBy: readonly Login[];
  /** Whether performing it for real is harmless, so allowed logins are probed too. */
  harmless: boolean;
}

const probe = uniqueName('probe');
const OPERATIONS: readonly Operation[] = [
  {
    name: 'subscribe to every subject',
    kind: 'subscribe',
    subject: '>',
    neededBy: [],
    harmless: true,
  },
  {
    name: "follow tenant-b's live telemetry",
    kind: 'subscribe',
    subject: 'telemetry.tenant-b.>',
    neededBy: [],
    harmless: true,
  },
  {
    name: 'publish telemetry into tenant-b',
    kind: 'publish',
    subject: `telemetry.tenant-b.${probe}`,
    neededBy: ['ingest'],
    harmless: false,
  },
  {
    name: 'create a stream',
    kind: 'publish',
    subject: `$JS.API.STREAM.CREATE.${probe}`,
    neededBy: [],
    harmless: true,
  },
  {
    name: 'update the TELEMETRY stream',
    kind: 'publish',
    subject: '$JS.API.STREAM.UPDATE.TELEMETRY',
    neededBy: [],
    harmless: true,
  },
  {
    name: 'delete the TELEMETRY stream',
    kind: 'publish',
    subject: '$JS.API.STREAM.DELETE.TELEMETRY',
    neededBy: [],
    harmless: false,
  },
  {
    name: 'purge the EVENTS stream',
    kind: 'publish',
    subject: '$JS.API.STREAM.PURGE.EVENTS',
    neededBy: [],
    harmless: false,
  },
  {
    name: 'delete the NODES stream',
    kind: 'publish',
    subject: '$JS.API.STREAM.DELETE.NODES',
    neededBy: [],
    harmless: false,
  },
  {
    name: 'read stored telemetry by sequence',
    kind: 'publish',
    subject: '$JS.API.STREAM.MSG.GET.TELEMETRY',
    neededBy: [],
    harmless: true,
  },
  {
    name: 'direct-get stored telemetry',
    kind: 'publish',
    subject: '$JS.API.DIRECT.GET.TELEMETRY',
    neededBy: [],
    harmless: true,
  },
  {
    name: 'create a consumer on TELEMETRY',
    kind: 'publish',
    subject: `$JS.API.CONSUMER.CREATE.TELEMETRY.${probe}`,
    neededBy: [],
    harmless: true,
  },
  {
    name: 'create a consumer on a tenant stream',
    kind: 'publish',
    subject: `$JS.API.CONSUMER.CREATE.TENANT_tenant-b.${probe}`,
    neededBy: [],
    harmless: true,
  },
  {
    name: 'pull from the timeseries-writer durable',
    kind: 'publish',
    subject: '$JS.API.CONSUMER.MSG.NEXT.TELEMETRY.timeseries-writer',
    neededBy: ['timeseries'],
    harmless: false,
  },
  {
    name: 'delete the timeseries-writer durable',
    kind: 'publish',
    subject: '$JS.API.CONSUMER.DELETE.TELEMETRY.timeseries-writer',
    neededBy: [],
    harmless: false,
  },
  {
    name: 'acknowledge for the timeseries-writer',
    kind: 'publish',
    subject: '$JS.ACK.TELEMETRY.timeseries-writer.1.1.1.1.0',
    neededBy: ['timeseries'],
    harmless: true,
  },
  {
    name: 'write a dead letter',
    kind: 'publish',
    subject: 'deadletter.telemetry.tenant-b',
    neededBy: ['timeseries'],
    harmless: false,
  },
  {
    name: 'rewrite an objectstore bucket record',
    kind: 'publish',
    subject: `$KV.objectstore_buckets.${probe}`,
    neededBy: ['objectstore'],
    harmless: false,
  },
  {
    name: 'read objectstore bucket records',
    kind: 'publish',
    subject: `$JS.API.DIRECT.GET.KV_objectstore_buckets.$KV.objectstore_buckets.${probe}`,
    // ingest's file connectors resolve tenant buckets (read only).
    neededBy: ['objectstore', 'ingest'],
    harmless: true,
  },
  {
    name: 'read objectstore bucket records by sequence',
    kind: 'publish',
    subject: '$JS.API.STREAM.MSG.GET.KV_objectstore_buckets',
    neededBy: ['objectstore', 'ingest'],
    harmless: true,
  },
  {
    name: 'watch objectstore bucket records',
    kind: 'publish',
    subject: `$JS.API.CONSUMER.CREATE.KV_objectstore_buckets.${probe}`,
    neededBy: ['objectstore'],
    harmless: true,
  },
  {
    name: 'pull MinIO notifications',
    kind: 'publish',
    subject: '$JS.API.CONSUMER.MSG.NEXT.OBJECTSTORE_S3_NOTIFICATIONS.objectstore-event-relay',
    neededBy: ['objectstore'],
    harmless: false,
  },
  {
    name: 'forge a MinIO notification',
    kind: 'publish',
    subject: 'internal.objectstore.s3-notifications',
    neededBy: ['minio'],
    harmless: false,
  },
  {
    name: 'publish an objectstore event',
    kind: 'publish',
    subject: `events.tenant-b.objectstore.${probe}`,
    neededBy: ['objectstore'],
    harmless: false,
  },
  {
    name: 'publish a model-registry event',
    kind: 'publish',
    subject: `events.tenant-b.models.${probe}`,
    neededBy: ['model-registry'],
    harmless: false,
  },
  {
    name: 'publish a retrainer event',
    kind: 'publish',
    subject: `events.tenant-b.retrainer.${probe}`,
    neededBy: ['retrainer'],
    harmless: false,
  },
  {
    name: 'follow platform events',
    kind: 'subscribe',
    subject: 'events.>',
    neededBy: [],
    harmless: true,
  },
  {
    name: 'serve model-registry requests',
    kind: 'subscribe',
    subject: 'svc.model-registry.>',
    neededBy: ['model-registry'],
    harmless: true,
  },
  {
    name: 'call the model registry',
    kind: 'publish',
    subject: `svc.model-registry.${probe}`,
    neededBy: ['retrainer'],
    harmless: true,
  },
  {
    name: 'command an edge node',
    kind: 'publish',
    subject: `nodes.tenant-b.${probe}.cmd`,
    neededBy: ['model-registry'],
    harmless: true,
  },
  {
    name: 'act as an edge node (heartbeat)',
    kind: 'publish',
    subject: `nodes.tenant-b.${probe}.heartbeat`,
    neededBy: [],
    harmless: false,
  },
  {
    name: 'act as an edge node (predictions)',
    kind: 'publish',
    subject: `predictions.tenant-b.${probe}`,
    // The retrainer's REST batch endpoint stores observations on the same subjects.
    neededBy: ['retrainer'],
    harmless: false,
  },
  {
    name: 'pull the NODES durable',
    kind: 'publish',
    subject: '$JS.API.CONSUMER.MSG.NEXT.NODES.model-registry-nodes',
    neededBy: ['model-registry'],
    harmless: false,
  },
  {
    name: 'pull the OBSERVATIONS durable',
    kind: 'publish',
    subject: '$JS.API.CONSUMER.MSG.NEXT.OBSERVATIONS.retrainer-observations',
    neededBy: ['retrainer'],
    harmless: false,
  },
  {
    name: "take tenants' ingest requests outside the queue group",
    kind: 'subscribe',
    subject: 'ingest.tenant-b.*',
    neededBy: [],
    harmless: true,
  },
  {
    name: "answer tenants' ingest requests (queue group ingest)",
    kind: 'subscribe',
    subject: 'ingest.*.*',
    queue: 'ingest',
    neededBy: ['ingest'],
    harmless: true,
  },
  {
    name: 'answer as the auth callout',
    kind: 'subscribe',
    subject: '$SYS.REQ.USER.AUTH',
    neededBy: ['ingest'],
    harmless: true,
  },
  {
    name: "read the timeseries login's replies",
    kind: 'subscribe',
    subject: '_INBOX_timeseries.>',
    neededBy: ['timeseries'],
    harmless: true,
  },
  {
    name: "read tenant-b's replies",
    kind: 'subscribe',
    subject: '_INBOX_tenant-b.>',
    neededBy: [],
    harmless: true,
  },
  {
    name: 'read replies on the default inbox prefix',
    kind: 'subscribe',
    subject: '_INBOX.>',
    neededBy: ['minio'],
    harmless: true,
  },
];

function password(login: Login): string {
  return requireEnv(`NATS_${login.toUpperCase().replace(/-/g, '_')}_PASSWORD`);
}

/** One login's connection, recording the permission violations the server reports. */
class Probe {
  private readonly refusals: PermissionViolationError[] = [];

  private constructor(readonly nc: NatsConnection) {
    void (async () => {
      for await (const status of nc.status())
        if (status.type === 'error' && status.error instanceof PermissionViolationError)
          this.refusals.push(status.error);
    })();
  }

  static async open(login: Login): Promise<Probe> {
    return new Probe(
      await connect({
        servers: requireEnv('NATS_URL'),
        user: login,
        pass: password(login),
        inboxPrefix: `_INBOX_${login}`,
      }),
    );
  }

  /**
   * The server checks a PUB or SUB before it answers the PING that follows, so once flush()
   * returns, a refusal of the operation has arrived.
   */
  async attempt(operation: Operation): Promise<'allowed' | 'refused'> {
    if (operation.kind === 'publish') {
      this.nc.publish(operation.subject, '', { reply: `_INBOX_probe.${probe}` });
    } else {
      this.nc.subscribe(operation.subject, operation.queue ? { queue: operation.queue } : {});
    }
    await this.nc.flush();
    await new Promise((resolve) => setImmediate(resolve));
    const verb = operation.kind === 'publish' ? 'publish' : 'subscription';
    return this.refusals.some((e) => e.operation === verb && e.subject === operation.subject)
      ? 'refused'
      : 'allowed';
  }
}

describe('NATS service logins: least privilege (users x operations)', () => {
  const probes = new Map<Login, Probe>();

  beforeAll(async () => {
    for (const login of LOGINS) probes.set(login, await Probe.open(login));
  });
  afterAll(async () => {
    await Promise.all([...probes.values()].map((p) => p.nc.close()));
  });

  const rows = LOGINS.flatMap((login) =>
    OPERATIONS.filter((op) => login !== 'dev' && !op.neededBy.includes(login)).map(
      (op) => [login, op.name, op] as const,
    ),
  );
  it.each(rows)('%s is refused: %s', async (login, _name, operation) => {
    expect(await probes.get(login)!.attempt(operation)).toBe('refused');
  });

  const allowed = LOGINS.flatMap((login) =>
    OPERATIONS.filter((op) => op.harmless && (login === 'dev' || op.neededBy.includes(login))).map(
      (op) => [login, op.name, op] as const,
    ),
  );
  it.each(allowed)('%s is allowed: %s', async (login, _name, operation) => {
    expect(await probes.get(login)!.attempt(operation)).toBe('allowed');
  });

  it('a refused stream create or forged publish has no effect', async () => {
    const dev = probes.get('dev')!.nc;
    const retrainer = probes.get('retrainer')!.nc;
    const name = uniqueName('FORBIDDEN').replace(/-/g, '_');
    const tap = dev.subscribe(`telemetry.tenant-b.${probe}-effect`);
    const received: string[] = [];
    void (async () => {
      for await (const message of tap) received.push(message.string());
    })();
    await dev.flush();
    const asRetrainer = await jetstreamManager(retrainer, { timeout: 1_000 });
    await expect(asRetrainer.streams.add({ name, subjects: [`${name}.>`] })).rejects.toThrow();
    retrainer.publish(`telemetry.tenant-b.${probe}-effect`, 'forged v=1');
    await retrainer.flush();
    await dev.flush();
    const asOperator = await jetstreamManager(dev);
    await expect(asOperator.streams.info(name)).rejects.toThrow(/not found/);
    expect(received).toEqual([]);
    tap.unsubscribe();
  });
});
