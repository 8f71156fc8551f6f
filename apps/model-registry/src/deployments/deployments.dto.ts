import { z } from 'zod';
import { aliasNameSchema, modelRefSchema } from '../models/model-name';

/** Deployment names become Kubernetes object names: DNS-1123 labels. */
export const deploymentNameSchema = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be 1 to 63 lowercase letters, digits or "-", beginning and ending with a letter or digit',
  );

const quantity = z
  .string()
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/,
    'is not a Kubernetes quantity (500m, 256Mi)',
  );
const resourceList = z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict();

export const createDeploymentSchema = z
  .object({
    name: deploymentNameSchema,
    /** Any model the tenant has, by the look-up rule (one made before the name rule too). */
    model: modelRefSchema,
    /** Follow an alias (re-rendered when it moves) or pin one version: exactly one. */
    alias: aliasNameSchema.optional(),
    version: z.number().int().positive().optional(),
    /** A Kubernetes label selector over node labels, e.g. `testbed=7,role=TransformerXXY`. */
    selector: z.string().min(1).max(1_000),
    /** DaemonSet: one pod on every matching node (the default). Deployment: `replicas` pods. */
    kind: z.enum(['DaemonSet', 'Deployment']).default('DaemonSet'),
    replicas: z.number().int().min(1).max(1_000).optional(),
    image: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[^\s]+$/, 'an image reference holds no whitespace'),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name'),
        z.string().max(10_000),
      )
      .default({}),
    resources: z
      .object({ requests: resourceList.optional(), limits: resourceList.optional() })
      .strict()
      .default({}),
  })
  .strict()
  .refine((body) => (body.alias === undefined) !== (body.version === undefined), {
    message: 'give exactly one of alias and version',
    path: ['alias'],
  })
  .refine((body) => body.kind === 'Deployment' || body.replicas === undefined, {
    message: 'replicas apply to kind Deployment only',
    path: ['replicas'],
  });
export type CreateDeploymentInput = z.infer<typeof createDeploymentSchema>;

/** What may change on a deployment; the model and the kind stay (delete and declare anew). */
export const updateDeploymentSchema = z
  .object({
    alias: aliasNameSchema.optional(),
    version: z.number().int().positive().optional(),
    selector: z.string().min(1).max(1_000).optional(),
    replicas: z.number().int().min(1).max(1_000).optional(),
    image: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[^\s]+$/, 'an image reference holds no whitespace')
      .optional(),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name'),
        z.string().max(10_000),
      )
      .optional(),
    resources: z
      .object({ requests: resourceList.optional(), limits: resourceList.optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((body) => body.alias === undefined || body.version === undefined, {
    message: 'give at most one of alias and version',
    path: ['alias'],
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
export type UpdateDeploymentInput = z.infer<typeof updateDeploymentSchema>;

export interface RolloutNodeView {
  node: string;
  online: boolean;
  state: 'pending' | 'pulled' | 'running' | 'failed';
  version?: number;
  reason?: string;
  reportedAt?: string;
}

export interface DeploymentView {
  name: string;
  model: string;
  alias?: string;
  version: number | null;
  selector: string;
  kind: 'DaemonSet' | 'Deployment';
  replicas?: number;
  image: string;
  env: Record<string, string>;
  resources: {
    requests?: { cpu?: string; memory?: string };
    limits?: { cpu?: string; memory?: string };
  };
  revision: number;
  /** The rendered Kubernetes manifest (YAML); null while the alias points at no version. */
  manifest: string | null;
  createdAt: string;
  updatedAt: string;
}
