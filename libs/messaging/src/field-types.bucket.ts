import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';
import { z } from 'zod';
import { encodeSubjectToken } from './subject-token';

/**
 * The NATS KV bucket of field types per tenant and measurement, shared by every ingest
 * replica and seeded by timeseries from InfluxDB's `SHOW FIELD KEYS`. Renaming it needs a
 * migration (replicas of different versions would each trust their own bucket).
 */
export const FIELD_TYPES_BUCKET = 'telemetry_field_types';

/** Field types as InfluxDB names them. */
export const fieldTypeSchema = z.enum(['float', 'integer', 'unsigned', 'string', 'boolean']);
export type FieldTypeName = z.infer<typeof fieldTypeSchema>;

/** The value of one key: every field of one measurement of one tenant, with its type. */
export const measurementFieldTypesSchema = z.record(z.string(), fieldTypeSchema);
export type MeasurementFieldTypes = z.infer<typeof measurementFieldTypesSchema>;

/**
 * The key of a tenant's measurement: `<tenant>.<measurement>`, the measurement encoded as a
 * subject token with `=` in place of `%`, since KV keys allow only `[-/_=.A-Za-z0-9]`.
 */
export function fieldTypesKey(tenant: string, measurement: string): string {
  return `${tenant}.${encodeSubjectToken(measurement).replace(/%/g, '=')}`;
}

/** What a merge found: the types now stored, and the fields whose type differed. */
export interface FieldTypesMerge {
  stored: MeasurementFieldTypes;
  conflicts: string[];
}

/** Operator step (provisionNats): creates the KV bucket if it is missing. */
export async function ensureFieldTypesKv(nc: NatsConnection, replicas: number): Promise<void> {
  await new Kvm(nc).create(FIELD_TYPES_BUCKET, {
    history: 1,
    replicas,
    description: 'Field types per tenant and measurement (see docs/telemetry.md)',
  });
}

const MERGE_ATTEMPTS = 10;

/**
 * The registry in the bucket. Every change is a create (the key is new) or an update at the
 * revision that was read (compare and set), so two writers that race on one measurement
 * never both win: the loser reads again and sees the winner's types.
 */
export class FieldTypesBucket {
  private constructor(private readonly kv: KV) {}

  /** Opens the bucket: the operator's provisioning step made it (ensureFieldTypesKv). */
  static async open(nc: NatsConnection): Promise<FieldTypesBucket> {
    return new FieldTypesBucket(await new Kvm(nc).open(FIELD_TYPES_BUCKET));
  }

  async get(tenant: string, measurement: string): Promise<MeasurementFieldTypes> {
    const entry = await this.kv.get(fieldTypesKey(tenant, measurement));
    return entry && entry.operation === 'PUT' ? parseValue(entry.value) : {};
  }

  /**
   * Adds fields to a measurement. A field already stored keeps its type unless `overwrite`
   * (used when InfluxDB, the truth, says otherwise); a differing type is reported as a
   * conflict and not stored.
   */
  async merge(
    tenant: string,
    measurement: string,
    fields: MeasurementFieldTypes,
    overwrite = false,
  ): Promise<FieldTypesMerge> {
    const key = fieldTypesKey(tenant, measurement);
    for (let attempt = 0; attempt < MERGE_ATTEMPTS; attempt++) {
      const entry = await this.kv.get(key);
      const live = entry !== null && entry.operation === 'PUT';
      const stored = live ? parseValue(entry.value) : {};
      const merged: MeasurementFieldTypes = { ...stored };
      const conflicts: string[] = [];
      let changed = false;
      for (const [field, type] of Object.entries(fields)) {
        const existing = stored[field];
        if (existing === type) continue;
        if (existing !== undefined && !overwrite) {
          conflicts.push(field);
          continue;
        }
        merged[field] = type;
        changed = true;
      }
      if (!changed) return { stored, conflicts };
      const value = JSON.stringify(merged);
      try {
        if (entry === null) await this.kv.create(key, value);
        else await this.kv.update(key, value, entry.revision);
        return { stored: merged, conflicts };
      } catch (error) {
        // Another writer changed the key since it was read: read it again.
        if (!isRevisionConflict(error)) throw error;
      }
    }
    throw new Error(`field types of ${key} kept changing; gave up after ${MERGE_ATTEMPTS} tries`);
  }
}

function parseValue(value: Uint8Array): MeasurementFieldTypes {
  const parsed = measurementFieldTypesSchema.safeParse(
    JSON.parse(Buffer.from(value).toString('utf8')),
  );
  return parsed.success ? parsed.data : {};
}

/** The server's answer when a create finds the key or an update finds a newer revision. */
function isRevisionConflict(error: unknown): boolean {
  const message = (error as Error).message ?? '';
  return /wrong last sequence|key exists|10071|10164/i.test(message);
}
