import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_TELEMETRY_LIMITS, PointError, checkPointShape } from '@iotwins/telemetry';
import type { ConfigProblem } from '../../connector.driver';
import { secretField } from '../../connector.secret-field';

/**
 * A node id in the OPC-UA string form (Part 6, 5.3.1.10): an optional namespace index or URI,
 * then a numeric, string, GUID or opaque identifier, e.g. `ns=2;s=Spindle.Speed` or `i=2258`.
 */
const NODE_ID =
  /^(ns=\d{1,5};|nsu=[^;]{1,512};)?(i=\d{1,10}|s=.{1,1024}|g=[0-9A-Fa-f-]{36}|b=[A-Za-z0-9+/=]{1,1024})$/;

const SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
  'Basic256',
  'Basic128Rsa15',
] as const;

const userSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('anonymous') }).strict(),
  z
    .object({
      type: z.literal('username'),
      username: z.string().min(1).max(256),
      password: secretField,
    })
    .strict(),
  z
    .object({
      type: z.literal('certificate'),
      /** The user's X.509 certificate, PEM. */
      certificate: z.string().min(1).max(65_536),
      /** Its private key, PEM (unencrypted). */
      privateKey: secretField,
    })
    .strict(),
]);

const tagsSchema = z.record(z.string().min(1).max(256), z.string().min(1).max(256));

export const opcuaItemSchema = z
  .object({
    nodeId: z.string().regex(NODE_ID, {
      message: 'expected an OPC-UA node id such as "ns=2;s=Spindle.Speed" or "i=2258"',
    }),
    /** How often the server samples the value; 0 asks for every change (exception-based). */
    samplingIntervalMs: z.number().int().min(0).max(3_600_000).default(1000),
    /** Changes the server keeps for this item between two publishes. */
    queueSize: z.number().int().min(1).max(10_000).default(10),
    measurement: z.string().min(1).max(256),
    tags: tagsSchema.default({}),
    field: z.string().min(1).max(256),
  })
  .strict();
export type OpcuaItem = z.infer<typeof opcuaItemSchema>;

export const opcuaSourceConfigSchema = z
  .object({
    endpointUrl: z
      .string()
      .regex(/^opc\.tcp:\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/, {
        message: 'expected an opc.tcp:// endpoint URL, e.g. "opc.tcp://plc.example:4840/UA/Server"',
      })
      .max(1024),
    securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
    securityPolicy: z.enum(SECURITY_POLICIES).default('None'),
    user: userSchema.default({ type: 'anonymous' }),
    /** How often the server sends the changes of all items (one batch of points each). */
    publishingIntervalMs: z.number().int().min(50).max(3_600_000).default(1000),
    items: z.array(opcuaItemSchema).min(1).max(1000),
  })
  .strict();
export type OpcuaSourceConfig = z.infer<typeof opcuaSourceConfigSchema>;

/** What the schema cannot say alone: mode and policy go together, names make valid points. */
export function opcuaConfigProblems(config: OpcuaSourceConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.securityMode === 'None' && config.securityPolicy !== 'None')
    problems.push({
      pointer: '/config/securityPolicy',
      detail: 'expected "None" with securityMode "None"',
    });
  if (config.securityMode !== 'None' && config.securityPolicy === 'None')
    problems.push({
      pointer: '/config/securityPolicy',
      detail: `expected a security policy such as "Basic256Sha256" with securityMode "${config.securityMode}"`,
    });
  if (config.user.type === 'certificate') {
    try {
      new X509Certificate(config.user.certificate);
    } catch {
      problems.push({
        pointer: '/config/user/certificate',
        detail: 'expected an X.509 certificate in PEM (-----BEGIN CERTIFICATE-----)',
      });
    }
  }
  const seen = new Map<string, number>();
  config.items.forEach((item, index) => {
    try {
      const tagKeys = Object.keys(item.tags);
      checkPointShape(
        {
          measurement: item.measurement,
          tagKeys,
          tagValues: tagKeys.map((key) => item.tags[key]!),
          fieldKeys: [item.field],
          timestamp: 0n,
        },
        DEFAULT_TELEMETRY_LIMITS,
      );
    } catch (error) {
      if (!(error instanceof PointError)) throw error;
      problems.push({ pointer: `/config/items/${index}`, detail: error.message });
    }
    const earlier = seen.get(item.nodeId);
    if (earlier !== undefined)
      problems.push({
        pointer: `/config/items/${index}/nodeId`,
        detail: `already monitored by item ${earlier}`,
      });
    else seen.set(item.nodeId, index);
  });
  return problems;
}
