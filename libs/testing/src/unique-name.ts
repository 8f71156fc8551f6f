import { randomBytes } from 'node:crypto';

/** A name no other test uses, for its own database, bucket, stream or tenant. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
