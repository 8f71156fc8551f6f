import { z } from 'zod';
import { assertSubjectToken, isSubjectToken } from './subject-token';

/**
 * What edge nodes publish to the registry: nodes.<tenant>.<node>.heartbeat and .status, kept
 * in the NODES stream and read by the registry's durable consumer; and the request-reply
 * subject nodes.<tenant>.<node>.cmd the registry calls on a node. Renaming any of these breaks
 * the edge agents in the field and needs a migration.
 */
export const NODES_STREAM = 'NODES';
export const NODES_SUBJECTS = ['nodes.*.*.heartbeat', 'nodes.*.*.status'] as const;
export const MODEL_REGISTRY_NODES_CONSUMER = 'model-registry-nodes';

export type NodeMessageKind = 'heartbeat' | 'status';

export function nodeHeartbeatSubject(tenant: string, node: string): string {
  return `nodes.${assertSubjectToken('tenant', tenant)}.${assertSubjectToken('node', node)}.heartbeat`;
}

export function nodeStatusSubject(tenant: string, node: string): string {
  return `nodes.${assertSubjectToken('tenant', tenant)}.${assertSubjectToken('node', node)}.status`;
}

export function nodeCommandSubject(tenant: string, node: string): string {
  return `nodes.${assertSubjectToken('tenant', tenant)}.${assertSubjectToken('node', node)}.cmd`;
}

/** Tenant, node and kind of a NODES subject; undefined for anything else. */
export function parseNodeSubject(
  subject: string,
): { tenant: string; node: string; kind: NodeMessageKind } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'nodes') return undefined;
  const [, tenant, node, kind] = parts as [string, string, string, string];
  if (!isSubjectToken(tenant) || !isSubjectToken(node)) return undefined;
  if (kind !== 'heartbeat' && kind !== 'status') return undefined;
  return { tenant, node, kind };
}

/** A heartbeat: the node is alive; facts that changed since registration may ride along. */
export const nodeHeartbeatSchema = z
  .object({
    /** When the node sent it (ISO 8601); the registry records its own receive time too. */
    time: z.iso.datetime().optional(),
    runtime: z.record(z.string(), z.unknown()).optional(),
    /** What the node runs now, per deployment: the model version it serves. */
    running: z
      .array(z.object({ deployment: z.string().min(1), version: z.number().int().positive() }))
      .max(100)
      .optional(),
  })
  .strict();
export type NodeHeartbeat = z.infer<typeof nodeHeartbeatSchema>;

export const ROLLOUT_STATES = ['pending', 'pulled', 'running', 'failed'] as const;

/** A node's rollout status of one deployment. */
export const nodeStatusSchema = z
  .object({
    deployment: z.string().min(1).max(128),
    state: z.enum(ROLLOUT_STATES),
    /** The model version the node pulled or runs. */
    version: z.number().int().positive().optional(),
    /** Why it failed, in the node's words. */
    reason: z.string().max(2_000).optional(),
    time: z.iso.datetime().optional(),
  })
  .strict();
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

/**
 * What the registry asks a node on nodes.<tenant>.<node>.cmd. Today one command: a deployment
 * that selects the node changed; the node fetches the manifest and replies whether it took it.
 */
export const nodeCommandSchema = z
  .object({
    type: z.literal('deployment.changed'),
    deployment: z.string().min(1),
    model: z.string(),
    version: z.number().int().positive().nullable(),
    revision: z.number().int().nonnegative(),
  })
  .strict();
export type NodeCommand = z.infer<typeof nodeCommandSchema>;

export const nodeCommandReplySchema = z.object({
  accepted: z.boolean(),
  reason: z.string().optional(),
});
export type NodeCommandReply = z.infer<typeof nodeCommandReplySchema>;
