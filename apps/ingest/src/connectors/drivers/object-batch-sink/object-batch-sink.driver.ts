import { setTimeout as sleep } from 'node:timers/promises';
import type { JsMsg } from '@nats-io/jetstream';
import type { Client } from 'minio';
import {
  DEFAULT_TELEMETRY_LIMITS,
  parseLineProtocol,
  type Point,
  type TelemetryLimits,
} from '@iotwins/telemetry';
import type { ConnectorContext, ConnectorDriver } from '../../connector.driver';
import { openSinkConsumer, removeSinkConsumer } from '../../connector.sink';
import { encodePoints, putFile } from '../object-files/object-writer';
import { checkTenantBucket, openTenantBucket } from '../object-files/object-files.storage';
import {
  batchKey,
  objectBatchSinkConfigSchema,
  templatePrefix,
  windowStartOf,
  type ObjectBatchSinkConfig,
} from './object-batch-sink.config';

/** Telemetry messages are already validated by ingest: read them back without its limits. */
const READ_LIMITS: TelemetryLimits = {
  ...DEFAULT_TELEMETRY_LIMITS,
  maxPointsPerBatch: Number.MAX_SAFE_INTEGER,
  minTimestampNs: -(2n ** 63n),
  maxTimestampNs: 2n ** 63n - 1n,
};
/** Messages one window holds at most (each holds up to a request's points of one measurement). */
const MAX_WINDOW_MESSAGES = 10_000;

/**
 * Writes the tenant's telemetry into one of its buckets as files per time window: every
 * `windowSeconds` (or `maxPoints`) the points gathered so far go out as one Parquet or CSV
 * file per measurement, and only once every file is stored are the window's messages
 * acknowledged. A crash before that redelivers them: the next window writes them again.
 */
export const objectBatchSinkDriver: ConnectorDriver<ObjectBatchSinkConfig> = {
  type: 'object-batch-sink',
  kind: 'sink',
  configSchema: objectBatchSinkConfigSchema,

  check: (config, target) => checkTenantBucket(target, config.bucket, 'write', '/config/bucket'),

  async run(ctx) {
    const { config } = ctx;
    const { s3, physical } = await openTenantBucket(
      ctx,
      config.bucket,
      templatePrefix(config.keyTemplate),
      'write',
    );
    while (!ctx.signal.aborted && ctx.isLeader()) {
      try {
        const consumer = await openSinkConsumer(ctx, {
          startTime: ctx.createdAt,
          // A window's messages stay unacknowledged until its files are written.
          ackWaitMs: (config.windowSeconds + 120) * 1000,
          maxAckPending: MAX_WINDOW_MESSAGES,
        });
        let window = new Window(Date.now(), config);
        while (!ctx.signal.aborted && ctx.isLeader()) {
          const wanted = Math.min(
            config.source.batchSize,
            MAX_WINDOW_MESSAGES - window.messages.length,
          );
          if (wanted > 0) {
            const fetched = await consumer.fetch({ max_messages: wanted, expires: 1_000 });
            for await (const message of fetched) window.add(message);
          }
          if (!window.due(Date.now(), config)) continue;
          if (window.messages.length > 0) await flush(ctx, window, physical, await s3.client());
          window = new Window(Date.now(), config);
        }
        return; // messages of an unfinished window are redelivered to the next runner
      } catch (error) {
        if (ctx.signal.aborted) return;
        ctx.failed((error as Error).message);
        await sleep(config.source.retryDelaySeconds * 1000, undefined, {
          signal: ctx.signal,
        }).catch(() => undefined);
      }
    }
  },

  cleanup: ({ nats, id, config }) => removeSinkConsumer(nats, id, config.source),
};

class Window {
  readonly messages: JsMsg[] = [];
  readonly points = new Map<string, Point[]>();
  pointCount = 0;
  refused = 0;
  readonly start: Date;

  constructor(
    private readonly openedAt: number,
    config: ObjectBatchSinkConfig,
  ) {
    this.start = windowStartOf(openedAt, config.windowSeconds);
  }

  add(message: JsMsg): void {
    this.messages.push(message);
    const parsed = parseLineProtocol(Buffer.from(message.data).toString('utf8'), {
      precision: 'ns',
      defaultTimestamp: 0n,
      limits: READ_LIMITS,
    });
    this.refused += parsed.errors.length;
    for (const point of parsed.points) {
      const list = this.points.get(point.measurement) ?? [];
      list.push(point);
      this.points.set(point.measurement, list);
    }
    this.pointCount += parsed.points.length;
  }

  /** Closes at the end of its aligned window, or when it holds enough points or messages. */
  due(now: number, config: ObjectBatchSinkConfig): boolean {
    return (
      now >= this.start.getTime() + config.windowSeconds * 1000 ||
      this.pointCount >= config.maxPoints ||
      this.messages.length >= MAX_WINDOW_MESSAGES ||
      // A window that opened late in its slot still gets a moment to gather.
      (now - this.openedAt >= config.windowSeconds * 1000 && this.messages.length > 0)
    );
  }
}

async function flush(
  ctx: ConnectorContext<ObjectBatchSinkConfig>,
  window: Window,
  physical: string,
  client: Client,
): Promise<void> {
  const { config } = ctx;
  try {
    for (const [measurement, points] of window.points) {
      points.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
      const firstSeq = Math.min(
        ...window.messages
          .filter((message) => message.subject.endsWith(`.${measurement}`))
          .map((message) => message.seq),
        window.messages[0]!.seq,
      );
      const key = batchKey(config.keyTemplate, {
        measurement,
        windowStart: window.start,
        firstSeq,
        format: config.format,
      });
      await putFile(
        client,
        physical,
        key,
        await encodePoints(points, config.format, measurement),
        ctx.settings.CONNECTORS_FILE_MAX_BYTES,
      );
      ctx.count({ pointsWritten: points.length });
    }
  } catch (error) {
    // Nothing acknowledged: the window's messages come again after a delay, and a message
    // that failed maxDeliveries times is dead-lettered so the rest can move on.
    for (const message of window.messages) {
      if (message.info.deliveryCount >= config.source.maxDeliveries) {
        message.term((error as Error).message);
        ctx.deadLettered(`${message.subject} #${message.seq}`, (error as Error).message);
      } else {
        message.nak(config.source.retryDelaySeconds * 1000 * 2 ** (message.info.deliveryCount - 1));
      }
    }
    ctx.failed(
      `writing the window of ${window.start.toISOString()} failed: ${(error as Error).message}`,
    );
    return;
  }
  for (const message of window.messages) message.ack();
  ctx.count({ recordsRead: window.messages.length, recordsRefused: window.refused });
  ctx.succeeded();
}
