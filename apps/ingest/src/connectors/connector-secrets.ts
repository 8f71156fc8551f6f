import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ProblemException } from '@iotwins/http';
import type { AuthInput, Sealed, StoredAuth } from './connector.schema';

/**
 * Seals connector secrets with AES-256-GCM under CONNECTORS_SECRET_KEY. The tenant and
 * connector id are the additional data, so a sealed value copied to another connector or
 * tenant does not open. Sealed values live only in KV; the API never returns them.
 */
export class ConnectorSecrets {
  private readonly key: Buffer | undefined;

  constructor(base64Key: string | undefined) {
    this.key = base64Key ? Buffer.from(base64Key, 'base64') : undefined;
  }

  sealAuth(auth: AuthInput, tenant: string, id: string): StoredAuth {
    switch (auth.type) {
      case 'none':
        return auth;
      case 'bearer':
        return { type: 'bearer', token: this.seal(auth.token.value, tenant, id) };
      case 'basic':
        return {
          type: 'basic',
          username: auth.username,
          password: this.seal(auth.password.value, tenant, id),
        };
      case 'api-key':
        return { type: 'api-key', header: auth.header, key: this.seal(auth.key.value, tenant, id) };
    }
  }

  open(sealed: Sealed, tenant: string, id: string): string {
    if (!this.key) throw new Error('CONNECTORS_SECRET_KEY is not set: secrets cannot be opened');
    const raw = Buffer.from(sealed.sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${tenant}/${id}`));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  private seal(value: string, tenant: string, id: string): Sealed {
    if (!this.key) {
      throw ProblemException.of(
        400,
        'connector-secrets-unavailable',
        'This platform has no CONNECTORS_SECRET_KEY, so it cannot keep secrets: use auth "none"',
      );
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${tenant}/${id}`));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  }
}

/** Auth as the API shows it: the kind and non-secret parts, secrets only as "set". */
export function publicAuth(auth: StoredAuth): Record<string, unknown> {
  switch (auth.type) {
    case 'none':
      return { type: 'none' };
    case 'bearer':
      return { type: 'bearer', token: { set: true } };
    case 'basic':
      return { type: 'basic', username: auth.username, password: { set: true } };
    case 'api-key':
      return { type: 'api-key', header: auth.header, key: { set: true } };
  }
}
