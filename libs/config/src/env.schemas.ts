import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Reusable validators for environment variables. Each carries its own message so that a
 * failure reads as "NAME: expected ..." without knowing zod's vocabulary.
 */
export const env = {
  port: (defaultPort: number) =>
    z.coerce
      .number({ message: 'expected a TCP port number (1-65535)' })
      .int({ message: 'expected a TCP port number (1-65535)' })
      .min(1, { message: 'expected a TCP port number (1-65535)' })
      .max(65535, { message: 'expected a TCP port number (1-65535)' })
      .default(defaultPort),

  url: (protocols: readonly string[]) =>
    z.string({ message: `expected a URL (${protocols.join(', ')})` }).refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `expected a URL with scheme ${protocols.join(' or ')}` },
    ),

  nonEmpty: (what: string) =>
    z.string({ message: `expected ${what}` }).min(1, { message: `expected ${what}, got empty` }),

  positiveInt: (defaultValue: number) =>
    z.coerce
      .number({ message: 'expected a positive integer' })
      .int({ message: 'expected a positive integer' })
      .positive({ message: 'expected a positive integer' })
      .default(defaultValue),

  nonNegativeInt: (defaultValue: number) =>
    z.coerce
      .number({ message: 'expected an integer of 0 or more' })
      .int({ message: 'expected an integer of 0 or more' })
      .min(0, { message: 'expected an integer of 0 or more' })
      .default(defaultValue),

  logLevel: () =>
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),

  bool: (defaultValue: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
      .default(defaultValue ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),

  /** Comma-separated tenant names (letters, digits, _ and -, up to `maxLength` each). */
  tenantList: (maxLength = 128, why = '') =>
    z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((tenant) => tenant.trim())
          .filter(Boolean),
      )
      .refine(
        (tenants) =>
          tenants.every((tenant) => new RegExp(`^[A-Za-z0-9_-]{1,${maxLength}}$`).test(tenant)),
        {
          message: `expected a comma-separated list of tenant names (letters, digits, _ and -, at most ${maxLength} each${why})`,
        },
      ),

  /** A comma-separated list of IPv4/IPv6 CIDR blocks (a bare address is one host). */
  cidrList: () =>
    z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((cidr) => cidr.trim())
          .filter(Boolean),
      )
      .refine(
        (blocks) =>
          blocks.every((block) => {
            const [address = '', bits] = block.split('/');
            const max = isIP(address) === 6 ? 128 : 32;
            const prefix = bits === undefined ? max : Number(bits);
            return isIP(address) !== 0 && Number.isInteger(prefix) && prefix >= 0 && prefix <= max;
          }),
        { message: 'expected a comma-separated list of CIDR blocks such as 10.20.0.0/16,fd00::/8' },
      ),
} as const;

/** Variables every service reads: where it listens, how it logs, who verifies tokens. */
export const baseEnvSchema = z
  .object({
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: env.logLevel(),
    AUTH_ISSUER: env.url(['http', 'https']),
    AUTH_DISCOVERY_URL: env.url(['http', 'https']).optional(),
    AUTH_AUDIENCE: env
      .nonEmpty('the audience that access tokens must carry')
      .default('iotwins-api'),
    NATS_URL: env.url(['nats', 'tls']),
    NATS_USER: env.nonEmpty('the NATS user name of this service'),
    NATS_PASSWORD: env.nonEmpty('the NATS password of this service').optional(),
    // A credentials file (user JWT and NKey seed) where NATS runs decentralised (JWT) auth.
    NATS_CREDS_FILE: env.nonEmpty('the path of a NATS credentials file').optional(),
    READINESS_TIMEOUT_MS: env.positiveInt(2000),
    /** When set, GET /metrics needs `Authorization: Bearer <this>` (metrics name tenants). */
    METRICS_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
    /**
     * Internal networks that URLs chosen by tenants (connectors, webhooks) may reach; loopback,
     * private and link-local addresses are refused otherwise.
     */
    OUTBOUND_ALLOWED_CIDRS: env.cidrList(),
  })
  .superRefine(
    (value, ctx) => {
      if (value.NATS_PASSWORD === undefined && value.NATS_CREDS_FILE === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['NATS_PASSWORD'],
          message: 'expected the NATS password of this service (or NATS_CREDS_FILE)',
        });
      }
    },
    // Reported with the other problems, not only once the rest of the environment is valid.
    { when: () => true },
  );

export type BaseEnv = z.infer<typeof baseEnvSchema>;
