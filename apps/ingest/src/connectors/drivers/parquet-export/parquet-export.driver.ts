import type { Point } from '@iotwins/telemetry';
import type { ConnectorDriver, ConfigProblem } from '../../connector.driver';
import { encodePoints, putFile } from '../object-files/object-writer';
import { checkTenantBucket, openTenantBucket } from '../object-files/object-files.storage';
import {
  exportCursorSchema,
  exportKey,
  parquetExportConfigSchema,
  type ParquetExportConfig,
} from './parquet-export.config';
import { TenantPointsRepository } from './tenant-points.repository';

/**
 * Exports one measurement's points of a time range as a Parquet file into one of the
 * tenant's buckets, once per configuration: declared (or reconfigured with a new range), it
 * runs, writes the file, records it in its cursor and status, and stays idle until changed.
 */
export const parquetExportDriver: ConnectorDriver<ParquetExportConfig> = {
  type: 'parquet-export',
  kind: 'converter',
  configSchema: parquetExportConfigSchema,

  async check(config, target) {
    const problems: ConfigProblem[] = [];
    if (!target.settings.INFLUX_URL || !target.settings.TIMESERIES_READER_SECRET)
      problems.push({
        pointer: '/type',
        detail:
          'Parquet exports are not enabled on this platform (INFLUX_URL and TIMESERIES_READER_SECRET are unset)',
      });
    return [
      ...problems,
      ...(await checkTenantBucket(target, config.bucket, 'write', '/config/bucket')),
    ];
  },

  // Any change is a new export.
  movesCursor: (before, after) => JSON.stringify(before) !== JSON.stringify(after),

  async run(ctx) {
    const { config, settings } = ctx;
    const done = exportCursorSchema.safeParse(await ctx.loadCursor());
    if (!done.success) {
      const key = exportKey(config);
      const prefix = key.slice(0, key.lastIndexOf('/') + 1);
      const { s3, physical } = await openTenantBucket(ctx, config.bucket, prefix, 'write');
      const reader = new TenantPointsRepository(
        settings.INFLUX_URL!,
        settings.TIMESERIES_READER_SECRET!,
        ctx.tenant,
      );
      const types = await reader.fieldTypes(config.measurement);
      const points: Point[] = [];
      for await (const chunk of reader.points(
        config.measurement,
        config.start,
        config.end,
        types,
      )) {
        if (ctx.signal.aborted) return;
        if (points.length + chunk.length > settings.CONNECTORS_EXPORT_MAX_POINTS)
          throw new Error(
            `the range holds more than ${settings.CONNECTORS_EXPORT_MAX_POINTS} points; export a shorter one`,
          );
        for (const point of chunk) points.push(point);
      }
      if (points.length === 0) {
        ctx.warn(
          `no points of ${config.measurement} between ${config.start} and ${config.end}; an empty file is written`,
        );
      }
      points.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
      await putFile(
        await s3.client(),
        physical,
        key,
        await encodePoints(points, 'parquet', config.measurement),
        settings.CONNECTORS_FILE_MAX_BYTES,
      );
      await ctx.saveCursor({
        done: true,
        key,
        points: points.length,
        at: new Date().toISOString(),
      });
      ctx.count({ recordsRead: points.length, pointsWritten: points.length });
      ctx.logger.log(
        { tenant: ctx.tenant, connector: ctx.id, key, points: points.length },
        'export written',
      );
    }
    ctx.succeeded();
    // Done: idle until paused, changed or deleted (a run that returns would be restarted).
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  },
};
