import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ProblemException, invalidInput } from '@iotwins/http';
import { mapSecrets, type SecretField } from './connector.secret-field';

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

  /**
   * A configuration as stored: every `{ "value": ... }` sealed. A `{ "sealed": ... }` sent by a
   * client is refused: sealed values are never shown, so one can only be a forgery or a copy.
   */
  sealConfig<C>(config: C, tenant: string, id: string): C {
    return mapSecrets(
      config,
      (secret, pointer) => {
        if ('sealed' in secret) {
          throw invalidInput(
            'connector',
            [{ pointer: `/config${pointer}`, detail: 'a secret is sent as { "value": "..." }' }],
            'invalid-connector',
          );
        }
        return this.seal(secret.value, tenant, id);
      },
      '',
    ) as C;
  }

  /** A secret's value. */
  openField(field: SecretField, tenant: string, id: string): string {
    return 'value' in field ? field.value : this.open(field, tenant, id);
  }

  open(sealed: { sealed: string }, tenant: string, id: string): string {
    if (!this.key) throw new Error('CONNECTORS_SECRET_KEY is not set: secrets cannot be opened');
    const raw = Buffer.from(sealed.sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${tenant}/${id}`));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  private seal(value: string, tenant: string, id: string): { sealed: string } {
    if (!this.key) {
      throw ProblemException.of(
        400,
        'connector-secrets-unavailable',
        'This platform has no CONNECTORS_SECRET_KEY, so it cannot keep secrets: send no secrets',
      );
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${tenant}/${id}`));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  }
}
