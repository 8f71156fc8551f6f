import { ObjectstoreEventType, objectEventDataSchema, parseEvent } from '@iotwins/messaging';
import type { ScopedS3 } from '@iotwins/storage';
import type { ConnectorContext, ConnectorDriver } from '../../connector.driver';
import {
  removeSinkConsumer,
  runSink,
  type SinkMessage,
  type SinkSource,
} from '../../connector.sink';
import { checkTenantBucket, openTenantBucket } from '../object-files/object-files.storage';
import { fileImportConfigSchema, type FileImportConfig } from './file-import.config';
import { importObject } from './file-importer';
import { REPORT_SUFFIX } from './import-format';

/** Redelivery of a file's event after its importer died (kill -9) mid-file. */
const IMPORT_ACK_WAIT_MS = 30_000;

/** The objectstore's object-created events of the connector's tenant, one at a time. */
function eventSource(config: FileImportConfig): SinkSource {
  return {
    stream: 'events',
    filter: 'objectstore.object.created',
    from: 'new',
    batchSize: 1,
    maxDeliveries: config.maxDeliveries,
    retryDelaySeconds: 2,
  };
}

/**
 * Imports every file that arrives in one of the tenant's buckets (under a prefix): a durable
 * consumer of the tenant's `objectstore.object.created` events (from when the connector was
 * declared, so a restart or a pause misses nothing), each file parsed by its format and
 * stored through ingest, and an import report written beside it before the event is acked.
 */
export const fileImportDriver: ConnectorDriver<FileImportConfig> = {
  type: 'file-import',
  kind: 'converter',
  configSchema: fileImportConfigSchema,

  check: (config, target) => checkTenantBucket(target, config.bucket, 'write', '/config/bucket'),

  movesCursor: (before, after) => before.bucket !== after.bucket || before.prefix !== after.prefix,

  async run(ctx) {
    const { config } = ctx;
    const { s3, physical } = await openTenantBucket(
      ctx,
      config.bucket,
      config.prefix,
      'read-write',
    );
    const source = eventSource(config);
    await runSink(
      { ...ctx, config: { source } },
      async (messages) => {
        for (const message of messages) await importEvent(ctx, message, s3, physical);
      },
      // A file's event stays unacknowledged while it is imported; each chunk tells JetStream
      // it is still being worked on, so a short ack wait only bites when ingest died mid-file.
      { startTime: ctx.createdAt, ackWaitMs: IMPORT_ACK_WAIT_MS },
    );
  },

  cleanup: ({ nats, id, config }) => removeSinkConsumer(nats, id, eventSource(config)),
};

async function importEvent(
  ctx: ConnectorContext<FileImportConfig>,
  message: SinkMessage,
  s3: ScopedS3,
  physical: string,
): Promise<void> {
  const { config } = ctx;
  let event;
  try {
    event = parseEvent(
      JSON.parse(Buffer.from(message.data).toString('utf8')),
      objectEventDataSchema,
    );
  } catch {
    return; // not an object event: nothing to import
  }
  const { bucket, key } = event.data;
  if (
    event.type !== ObjectstoreEventType.ObjectCreated ||
    event.tenant !== ctx.tenant ||
    bucket !== config.bucket ||
    !key.startsWith(config.prefix) ||
    key.endsWith(REPORT_SUFFIX)
  )
    return;
  const client = await s3.client();
  const report = await importObject(config, bucket, key, {
    client,
    physical,
    limits: () => ctx.ingest.limits(),
    store: (points) => ctx.ingest.points(points),
    progress: () => {
      if (ctx.signal.aborted || !ctx.isLeader()) throw new Error('the connector stopped mid-file');
      message.working();
    },
    maxFileBytes: ctx.settings.CONNECTORS_FILE_MAX_BYTES,
    maxJsonBytes: ctx.settings.INGEST_MAX_BODY_BYTES,
  });
  const body = Buffer.from(JSON.stringify(report, null, 2));
  // The report goes in before the event is acknowledged: a crash in between imports the file
  // again (the same messages, deduplicated) and rewrites the same report.
  await client.putObject(physical, `${key}${REPORT_SUFFIX}`, body, body.length, {
    'Content-Type': 'application/json',
  });
  ctx.count({
    pointsWritten: report.pointsStored,
    recordsRefused: report.recordsRefused,
  });
  if (report.error) ctx.warn(`${key}: ${report.error}`);
  else if (report.refused[0])
    ctx.warn(
      `${key}: ${report.recordsRefused} record(s) refused, first: ${report.refused[0].detail}`,
    );
  ctx.logger.log(
    { tenant: ctx.tenant, connector: ctx.id, key, points: report.pointsStored },
    'file imported',
  );
}
