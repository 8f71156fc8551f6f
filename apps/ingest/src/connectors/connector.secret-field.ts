import { z } from 'zod';

/**
 * A secret in a connector's configuration. A tenant sends `{ "value": "..." }`; it is sealed
 * at once (`{ "sealed": "..." }`, AES-256-GCM, see connector-secrets.ts), stored only sealed
 * and shown as `{ "set": true }`. Drivers open it with `ctx.secret(field)`.
 */
export const secretField = z.union([
  z.object({ value: z.string().min(1).max(4096) }).strict(),
  z.object({ sealed: z.string().min(1) }).strict(),
]);
export type SecretField = z.infer<typeof secretField>;

export const isSecretInput = (node: unknown): node is { value: string } =>
  isObject(node) && Object.keys(node).length === 1 && typeof node.value === 'string';

export const isSealed = (node: unknown): node is { sealed: string } =>
  isObject(node) && Object.keys(node).length === 1 && typeof node.sealed === 'string';

/**
 * A copy of a configuration with every secret node replaced by `replace(node, pointer)`.
 * Only objects whose single key is `value` or `sealed` are secrets: configuration schemas
 * are strict, so no other field has that shape.
 */
export function mapSecrets(
  node: unknown,
  replace: (secret: { value: string } | { sealed: string }, pointer: string) => unknown,
  pointer = '',
): unknown {
  if (isSecretInput(node) || isSealed(node)) return replace(node, pointer);
  if (Array.isArray(node))
    return node.map((item, index) => mapSecrets(item, replace, `${pointer}/${index}`));
  if (isObject(node))
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        mapSecrets(value, replace, `${pointer}/${key}`),
      ]),
    );
  return node;
}

/** A configuration as the API shows it: secrets only as `{ "set": true }`. */
export const publicConfig = (config: unknown): unknown => mapSecrets(config, () => ({ set: true }));

function isObject(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}
