import { z } from 'zod';
import {
  ModelRegistryRequest,
  aliasRemovedReplySchema,
  registryProblemSchema,
  registryVersionReplySchema,
  type RegistryVersionReply,
} from '@iotwins/messaging';

/**
 * Replies of the registry's request-reply operations, with the schemas the registry itself
 * declares in libs/messaging (model-registry.requests.ts), checked on receipt: the registry
 * is another service and may be upgraded on its own.
 */
export const modelVersionSchema = registryVersionReplySchema;
export type ModelVersion = RegistryVersionReply;

/** alias.set answers the version object, or `{ alias, version: null }` when removed. */
export const aliasSetReplySchema = z.union([registryVersionReplySchema, aliasRemovedReplySchema]);
export type AliasSetReply = z.infer<typeof aliasSetReplySchema>;

export { registryProblemSchema };

/** The operations, as `<MODEL_REGISTRY_SUBJECT_PREFIX>.<operation>`. */
export const RegistryOperation = {
  VersionGet: 'version.get',
  AliasSet: 'alias.set',
  VersionDeactivate: 'version.deactivate',
} as const;

/** The registry's own subjects, which the default prefix must produce. */
export const REGISTRY_SUBJECTS = ModelRegistryRequest;
