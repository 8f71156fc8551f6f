import { z } from 'zod';
import { assertSubjectToken } from './subject-token';

/**
 * Events of the model registry: events.<tenant>.models.<entity>.<action>. Type names carry a
 * version; renaming a subject or type breaks subscribers (the retrainer among them) and needs
 * a migration.
 */
export const ModelsEventType = {
  ModelCreated: 'models.model.created.v1',
  ModelUpdated: 'models.model.updated.v1',
  ModelDeleted: 'models.model.deleted.v1',
  VersionCreated: 'models.version.created.v1',
  VersionUpdated: 'models.version.updated.v1',
  VersionDeactivated: 'models.version.deactivated.v1',
  AliasChanged: 'models.alias.changed.v1',
  DeploymentChanged: 'models.deployment.changed.v1',
  NodeOnline: 'models.node.online.v1',
  NodeOffline: 'models.node.offline.v1',
} as const;
export type ModelsEventType = (typeof ModelsEventType)[keyof typeof ModelsEventType];

/** events.<tenant>.models.version.created for models.version.created.v1. */
export function modelsEventSubject(tenant: string, type: ModelsEventType): string {
  const action = type.replace(/^models\./, '').replace(/\.v[0-9]+$/, '');
  return `events.${assertSubjectToken('tenant', tenant)}.models.${action}`;
}

/** The subjects of every model-registry event of one tenant, for subscribers. */
export function modelsEventsOf(tenant: string): string {
  return `events.${assertSubjectToken('tenant', tenant)}.models.>`;
}

export const modelEventDataSchema = z.object({
  model: z.string(),
  /** The name before a rename, on models.model.updated.v1. */
  previousName: z.string().optional(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type ModelEventData = z.infer<typeof modelEventDataSchema>;

export const versionEventDataSchema = z.object({
  model: z.string(),
  version: z.number().int().positive(),
  status: z.enum(['ready', 'archived', 'deactivated']),
  framework: z.string().optional(),
  sha256: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  /** Why it changed, on deactivations and status changes requested by another service. */
  reason: z.string().optional(),
});
export type VersionEventData = z.infer<typeof versionEventDataSchema>;

export const aliasChangedEventDataSchema = z.object({
  model: z.string(),
  alias: z.string(),
  /** null when the alias was removed. */
  version: z.number().int().positive().nullable(),
  previousVersion: z.number().int().positive().nullable(),
  reason: z.string().optional(),
});
export type AliasChangedEventData = z.infer<typeof aliasChangedEventDataSchema>;

export const deploymentChangedEventDataSchema = z.object({
  deployment: z.string(),
  model: z.string(),
  /** The version the deployment now runs (its alias resolved), null when it resolves to none. */
  version: z.number().int().positive().nullable(),
  alias: z.string().optional(),
  /** Why: created, updated, alias-moved, deleted. */
  cause: z.enum(['created', 'updated', 'alias-moved', 'deleted']),
  /** Revision of the rendered manifest; grows with every re-render. */
  revision: z.number().int().nonnegative(),
});
export type DeploymentChangedEventData = z.infer<typeof deploymentChangedEventDataSchema>;

export const nodeEventDataSchema = z.object({
  node: z.string(),
  labels: z.record(z.string(), z.string()),
  lastSeen: z.string().nullable(),
});
export type NodeEventData = z.infer<typeof nodeEventDataSchema>;
