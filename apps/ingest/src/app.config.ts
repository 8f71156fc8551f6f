import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';
import type { TelemetryLimits } from '@iotwins/telemetry';

export const ingestEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3001),
  REDIS_URL: env.url(['redis', 'rediss']),
  GRPC_ENABLED: env.bool(true),
  GRPC_PORT: z.coerce
    .number({ message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .int({ message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .min(0, { message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .max(65535, { message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .default(50051),
  MQTT_SERVER_ENABLED: env.bool(true),
  MQTT_SERVER_PORT: z.coerce
    .number({ message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .int({ message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .min(0, { message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .max(65535, { message: 'expected a TCP port number (0-65535; 0 picks a free one)' })
    .default(1884),
  MQTT_ENABLED: env.bool(true),
  MQTT_URL: env.url(['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss']),
  MQTT_USER: env.nonEmpty('the MQTT user of the ingest bridge'),
  MQTT_PASSWORD: env.nonEmpty('the password of MQTT_USER'),
  MQTT_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, {
      message: 'expected topic levels of letters, digits, _ and -',
    })
    .default('iotwins'),
  MQTT_SHARED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected letters, digits, _ and -' })
    .default('ingest'),
  MQTT_CLIENT_ID_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, { message: 'expected up to 40 letters, digits, _ and -' })
    .default('iotwins-ingest'),
  INGEST_MAX_BODY_BYTES: env.positiveInt(16 * 1024 * 1024),
  // Refused lines or points an answer names (HTTP problem, NATS reply, gRPC answer, MQTT
  // reason string); the others are only counted, so no answer outgrows its transport.
  INGEST_MAX_LISTED_ERRORS: env.positiveInt(100),
  // Largest MQTT packet the ingest endpoint reads; a larger one is refused from its header
  // (DISCONNECT 0x95) before its payload is buffered. Advertised in the MQTT 5 CONNACK.
  MQTT_SERVER_MAX_PACKET_BYTES: env.positiveInt(1024 * 1024),
  INGEST_MAX_POINTS_PER_BATCH: env.positiveInt(50_000),
  INGEST_MAX_FIELDS_PER_POINT: env.positiveInt(200),
  INGEST_MAX_TAGS_PER_POINT: env.positiveInt(64),
  INGEST_MAX_NAME_LENGTH: env.positiveInt(256),
  INGEST_MAX_TAG_VALUE_LENGTH: env.positiveInt(1024),
  INGEST_MAX_STRING_FIELD_LENGTH: env.positiveInt(65_536),
  INGEST_MAX_PAST_SECONDS: env.nonNegativeInt(0),
  INGEST_MAX_FUTURE_SECONDS: env.nonNegativeInt(365 * 24 * 3600),
  INGEST_PUBLISH_TIMEOUT_MS: env.positiveInt(5_000),
  INGEST_UNSIGNED_AS_INTEGER: env.bool(true),
  INGEST_RATE_LIMIT_POINTS_PER_SECOND: env.nonNegativeInt(1_000_000),
  CONNECTORS_ENABLED: env.bool(true),
  CONNECTORS_LEASE_SECONDS: env.positiveInt(15),
  // The OPC-UA client's PKI folder (its certificate, trusted servers); read by the OPC-UA
  // driver (drivers/opcua-source/opcua-pki.ts). Unset: <tmpdir>/iotwins-opcua-pki.
  CONNECTORS_OPCUA_PKI_DIR: env.nonEmpty('the path of a writable folder').optional(),
  // 32 bytes, base64: seals connector secrets (AES-256-GCM). Unset: connectors without secrets only.
  CONNECTORS_SECRET_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, {
      message: 'expected 32 bytes in base64 (openssl rand -base64 32)',
    })
    .optional(),
  // File connectors (file-import, parquet-export, object-batch-sink): the tenants' buckets in
  // MinIO. Unset endpoint or keys: those connector types are refused at create.
  S3_ENDPOINT: env.url(['http', 'https']).optional(),
  // A MinIO identity that may only AssumeRole into the tenant buckets (docs/connectors.md);
  // each run signs with STS credentials narrowed to its one bucket prefix.
  CONNECTORS_S3_ACCESS_KEY: z.string().min(1).optional(),
  CONNECTORS_S3_SECRET_KEY: z.string().min(1).optional(),
  // Largest object a file-import reads and a parquet-export or object-batch-sink writes.
  CONNECTORS_FILE_MAX_BYTES: env.positiveInt(1024 * 1024 * 1024),
  // Points of one parquet-export (held in memory while the file is written).
  CONNECTORS_EXPORT_MAX_POINTS: env.positiveInt(5_000_000),
  // Tenant JSONata mappings (dry runs, http-poller) run in worker threads with these budgets
  // (connectors/sandbox, docs/connectors.md "Mapping sandbox").
  CONNECTORS_MAPPING_WORKERS: env.positiveInt(2),
  CONNECTORS_MAPPING_TENANT_WORKERS: env.positiveInt(1),
  CONNECTORS_MAPPING_TENANT_QUEUE: env.positiveInt(16),
  CONNECTORS_MAPPING_TIMEOUT_MS: env.positiveInt(2_000),
  CONNECTORS_MAPPING_HEAP_MB: env.positiveInt(128),
  CONNECTORS_MAPPING_MAX_INPUT_BYTES: env.positiveInt(8 * 1024 * 1024),
  CONNECTORS_MAPPING_MAX_OUTPUT_BYTES: env.positiveInt(8 * 1024 * 1024),
  CONNECTORS_MAPPING_MAX_LENGTH: env.positiveInt(16_384),
  CONNECTORS_MAPPING_MAX_DEPTH: env.positiveInt(100),
  // parquet-export reads as the tenant's read-only InfluxDB user (docs/security.md).
  INFLUX_URL: env.url(['http', 'https']).optional(),
  TIMESERIES_READER_SECRET: z.string().min(16).optional(),
  // Unset: the instance leases a free slot in NATS KV (see RequestClock).
  INGEST_INSTANCE_SLOT: z.coerce
    .number({ message: 'expected an integer from 0 to 999' })
    .int({ message: 'expected an integer from 0 to 999' })
    .min(0, { message: 'expected an integer from 0 to 999' })
    .max(999, { message: 'expected an integer from 0 to 999' })
    .optional(),
  NATS_AUTH_CALLOUT_ISSUER_SEED: z
    .string()
    .regex(/^SA[A-Z2-7]{56}$/, { message: 'expected an account nkey seed (SA...)' })
    .optional(),
  NATS_TENANT_USER_TTL_SECONDS: env.positiveInt(3600),
  // CONNECT rate of one tenant at the auth callout, per replica: `BURST` logins at once, then
  // `RATE` per second; over it the login is refused at once (decision 0012).
  NATS_TENANT_CONNECT_RATE: env.positiveInt(20),
  NATS_TENANT_CONNECT_BURST: env.positiveInt(50),
});

export type IngestConfig = z.infer<typeof ingestEnvSchema>;

export const loadIngestConfig = (): IngestConfig => loadConfig(ingestEnvSchema);

const NANOS_PER_SECOND = 1_000_000_000n;
const INFLUX_MIN = -9_223_372_036_854_775_806n;
const INFLUX_MAX = 9_223_372_036_854_775_806n;

/** Limits of one request; the timestamp window is relative to now, so it is built per request. */
export function telemetryLimits(config: IngestConfig, nowNs: bigint): TelemetryLimits {
  const past = BigInt(config.INGEST_MAX_PAST_SECONDS) * NANOS_PER_SECOND;
  const future = BigInt(config.INGEST_MAX_FUTURE_SECONDS) * NANOS_PER_SECOND;
  const clamp = (value: bigint): bigint =>
    value < INFLUX_MIN ? INFLUX_MIN : value > INFLUX_MAX ? INFLUX_MAX : value;
  return {
    maxPointsPerBatch: config.INGEST_MAX_POINTS_PER_BATCH,
    maxFieldsPerPoint: config.INGEST_MAX_FIELDS_PER_POINT,
    maxTagsPerPoint: config.INGEST_MAX_TAGS_PER_POINT,
    maxNameLength: config.INGEST_MAX_NAME_LENGTH,
    maxTagValueLength: config.INGEST_MAX_TAG_VALUE_LENGTH,
    maxStringFieldLength: config.INGEST_MAX_STRING_FIELD_LENGTH,
    // 0 means no bound beyond what InfluxDB can store.
    minTimestampNs: past === 0n ? INFLUX_MIN : clamp(nowNs - past),
    maxTimestampNs: future === 0n ? INFLUX_MAX : clamp(nowNs + future),
    unsignedAsInteger: config.INGEST_UNSIGNED_AS_INTEGER,
  };
}
