import {
  checkPointLimits,
  type FieldValue,
  type Point,
  type TelemetryLimits,
} from '@iotwins/telemetry';

/** A Point as @grpc/proto-loader hands it over (64-bit integers as decimal strings). */
export interface ProtoPoint {
  measurement?: string;
  tags?: Record<string, string>;
  fields?: Record<string, ProtoFieldValue>;
  time_unix_nano?: string;
}

export interface ProtoFieldValue {
  value?: 'float_value' | 'int_value' | 'uint_value' | 'bool_value' | 'string_value';
  float_value?: number;
  int_value?: string;
  uint_value?: string;
  bool_value?: boolean;
  string_value?: string;
}

export interface ItemError {
  item: number;
  detail: string;
}

function fieldValue(field: ProtoFieldValue, key: string): FieldValue {
  switch (field.value) {
    case 'float_value':
      if (!Number.isFinite(field.float_value))
        throw new Error(`field "${key}" is not a finite number`);
      return { type: 'float', value: field.float_value! };
    case 'int_value':
      return { type: 'integer', value: BigInt(field.int_value ?? '0') };
    case 'uint_value':
      return { type: 'uinteger', value: BigInt(field.uint_value ?? '0') };
    case 'bool_value':
      return { type: 'boolean', value: field.bool_value ?? false };
    case 'string_value':
      return { type: 'string', value: field.string_value ?? '' };
    case undefined:
      throw new Error(`field "${key}" has no value`);
  }
}

/** Typed gRPC points to the platform's points; all or nothing, every bad point listed. */
export function fromProtoPoints(
  items: ProtoPoint[],
  receivedAt: bigint,
  limits: TelemetryLimits,
  invalidUtf8: ReadonlyMap<number, string> = new Map(),
): { points: Point[]; errors: ItemError[] } {
  if (items.length > limits.maxPointsPerBatch) {
    return {
      points: [],
      errors: [
        {
          item: 0,
          detail: `${items.length} points exceed the limit of ${limits.maxPointsPerBatch}`,
        },
      ],
    };
  }
  const points: Point[] = [];
  const errors: ItemError[] = [];
  items.forEach((item, index) => {
    // The decoder replaced the bytes with U+FFFD; HTTP refuses such text, and so does gRPC.
    const notUtf8 = invalidUtf8.get(index);
    if (notUtf8 !== undefined) {
      errors.push({ item: index, detail: notUtf8 });
      return;
    }
    try {
      const fields: Record<string, FieldValue> = {};
      for (const [key, field] of Object.entries(item.fields ?? {}))
        fields[key] = fieldValue(field, key);
      const time = BigInt(item.time_unix_nano ?? '0');
      const point: Point = {
        measurement: item.measurement ?? '',
        tags: { ...(item.tags ?? {}) },
        fields,
        timestamp: time === 0n ? receivedAt : time,
      };
      checkPointLimits(point, limits);
      points.push(point);
    } catch (error) {
      errors.push({ item: index, detail: (error as Error).message });
    }
  });
  return errors.length > 0 ? { points: [], errors } : { points, errors };
}
