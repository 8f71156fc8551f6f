import { z } from 'zod';
import {
  nodeHeartbeatSchema as heartbeatMessageSchema,
  nodeStatusSchema as statusMessageSchema,
} from '@iotwins/messaging';
import { storeSafeMapDocument } from '../common/store-safe-document';

/** Node names are NATS subject tokens (nodes.<tenant>.<node>.heartbeat). */
export const nodeNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1 to 128 letters, digits, "_" or "-"');

const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'is not a Kubernetes label key',
  );
const labelValue = z
  .string()
  .regex(/^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/, 'is not a Kubernetes label value');

export const labelsSchema = z
  .record(labelKey, labelValue)
  .refine((l) => Object.keys(l).length <= 64, 'at most 64 labels');

export const registerNodeSchema = storeSafeMapDocument(
  z
    .object({
      name: nodeNameSchema,
      labels: labelsSchema.default({}),
      hardware: z.record(z.string(), z.unknown()).default({}),
      runtime: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
);
export type RegisterNodeInput = z.infer<typeof registerNodeSchema>;

export const updateNodeSchema = storeSafeMapDocument(
  z
    .object({
      labels: labelsSchema.optional(),
      hardware: z.record(z.string(), z.unknown()).optional(),
      runtime: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
);

/**
 * What a node sends, over REST or on NATS alike: the message schemas, refusing text and keys
 * the store would refuse (NUL, lone surrogates, "$" and "." in runtime keys).
 */
export const nodeHeartbeatSchema = storeSafeMapDocument(heartbeatMessageSchema);
export const nodeStatusSchema = storeSafeMapDocument(statusMessageSchema);

export interface NodeView {
  name: string;
  labels: Record<string, string>;
  hardware: Record<string, unknown>;
  runtime: Record<string, unknown>;
  registeredAt: string;
  lastSeen: string | null;
  online: boolean;
  running: { deployment: string; version: number }[];
  rollout: Record<string, { state: string; version?: number; reason?: string; reportedAt: string }>;
}
