import { z } from 'zod';

export const connectorNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, {
  message: 'expected 1 to 100 letters, digits, spaces, ".", "_" or "-"',
});

/** The envelope of a new connector; `config` is validated by its type's driver. */
export const createConnectorSchema = z
  .object({
    name: connectorNameSchema,
    type: z.string().min(1).max(64),
    config: z.unknown(),
    paused: z.boolean().default(false),
  })
  .strict();

export const updateConnectorSchema = z
  .object({ name: connectorNameSchema.optional(), config: z.unknown().optional() })
  .strict();

export const dryRunSchema = z
  .object({
    mapping: z.string().min(1).max(16_384),
    precision: z.enum(['ns', 'us', 'ms', 's', 'm', 'h']).default('ms'),
    sample: z.unknown(),
  })
  .strict();

export type CreateConnectorInput = z.infer<typeof createConnectorSchema>;
export type UpdateConnectorInput = z.infer<typeof updateConnectorSchema>;

/** A connector as stored in KV: its configuration already validated and its secrets sealed. */
export const storedConnectorSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string(),
  type: z.string(),
  paused: z.boolean(),
  config: z.unknown(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type StoredConnector = z.infer<typeof storedConnectorSchema>;

export const connectorCountersSchema = z.object({
  recordsRead: z.number(),
  pointsWritten: z.number(),
  recordsRefused: z.number(),
  /** Messages or records given up on after their retries (sinks), or refused for good. */
  deadLettered: z.number().default(0),
});
export type ConnectorCounters = z.infer<typeof connectorCountersSchema>;

export const connectorStatusSchema = connectorCountersSchema.extend({
  state: z.enum(['running', 'paused', 'failing', 'idle']),
  runner: z.string().optional(),
  lastError: z.string().optional(),
  lastErrorAt: z.string().optional(),
  lastSuccessAt: z.string().optional(),
  lastDeadLetter: z.object({ what: z.string(), reason: z.string(), at: z.string() }).optional(),
  /**
   * Keys of the last units of work counted (newest last, at most COUNTED_KEYS_KEPT), saved
   * with the counters they went into: a unit redelivered after a kill -9 between the save and
   * its acknowledgement is recognised and not counted twice. Not shown by the API.
   */
  countedKeys: z.array(z.string()).optional(),
});
export const COUNTED_KEYS_KEPT = 2_048;
export type ConnectorStatus = z.infer<typeof connectorStatusSchema>;

export const emptyStatus = (): ConnectorStatus => ({
  state: 'idle',
  recordsRead: 0,
  pointsWritten: 0,
  recordsRefused: 0,
  deadLettered: 0,
});
