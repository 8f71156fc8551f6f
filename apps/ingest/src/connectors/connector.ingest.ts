import { LineBatch, type Point } from '@iotwins/telemetry';
import { parseMqttPayload } from '../mqtt/mqtt-payload';
import { IngestService } from '../telemetry/ingest.service';
import type { ConnectorIngest, IngestOutcome } from './connector.driver';

/** Reasons kept per call: enough to show what was wrong, not a copy of a bad batch. */
const MAX_ERRORS = 5;

/**
 * A tenant's ingest for its connectors: the IngestService every other path uses (field types,
 * rate limit, JetStream publish), so a connector cannot store what HTTP ingest would refuse.
 */
export function connectorIngest(
  ingest: IngestService,
  tenant: string,
  source: string,
): ConnectorIngest {
  return {
    limits() {
      const context = ingest.tenantContext(tenant, undefined);
      return { limits: context.limits, receivedAt: context.receivedAt };
    },

    async points(points: readonly Point[]): Promise<IngestOutcome> {
      if (points.length === 0) return { written: 0, refused: 0, errors: [] };
      const context = ingest.tenantContext(tenant, undefined);
      const conflicts = await ingest.checkPoints(context, points);
      const refusedIndexes = new Set(conflicts.map((conflict) => conflict.index));
      const accepted = points.filter((_, index) => !refusedIndexes.has(index));
      ingest.refused(context, 'field-type', refusedIndexes.size);
      const written = await ingest.write(context, LineBatch.of(accepted), source);
      return {
        written,
        refused: refusedIndexes.size,
        errors: conflicts
          .slice(0, MAX_ERRORS)
          .map(({ index, detail }) => `point ${index}: ${detail}`),
      };
    },

    async payload(payload: Buffer, options = {}): Promise<IngestOutcome> {
      const context = ingest.tenantContext(tenant, undefined);
      const { batch, errors } = await ingest.withFieldTypes(tenant, (fieldTypes) =>
        parseMqttPayload(
          payload,
          { tenant, measurement: options.measurement },
          context.receivedAt,
          context.limits,
          fieldTypes,
        ),
      );
      ingest.refused(context, 'invalid', errors.length);
      const written = await ingest.write(context, batch, source);
      return { written, refused: errors.length, errors: errors.slice(0, MAX_ERRORS) };
    },
  };
}
