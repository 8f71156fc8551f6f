import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import type { MonitorState } from '@iotwins/messaging';
import type { ObservationCounts } from '../evaluation/pending-changes';
import { modelNameSchema, monitorSpecSchema, type MonitorSpec } from './monitor-spec.schema';

/** The OpenAPI schema of a monitor body, derived from the zod schema that validates it. */
export const MONITOR_SPEC_OPENAPI = z.toJSONSchema(monitorSpecSchema, {
  io: 'input',
  unrepresentable: 'any',
}) as SchemaObject;

/** A monitor as the API returns it: its spec (webhook secret withheld) and live state. */
export type MonitorView = Omit<MonitorSpec, 'actions'> & {
  id: string;
  actions: Omit<MonitorSpec['actions'], 'webhook'> & { webhook?: { url: string } };
  state: MonitorState;
  currentVersion: number | null;
  band: { lower: number | null; upper: number | null; baseline: number | null };
  pairsOnVersion: number;
  windowsEvaluated: number;
  lastActionAt: string | null;
  observations: ObservationCounts & { pendingPredictions: number; pendingActuals: number };
  createdAt: string;
  updatedAt: string;
};

/** ?limit= and ?after= of the history endpoints. */
export const historyQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: z.coerce.number().int().min(0).default(0),
    tenant: z.string().optional(),
  })
  .strict();

export const listQuerySchema = z
  .object({ model: modelNameSchema.optional(), tenant: z.string().optional() })
  .strict();
