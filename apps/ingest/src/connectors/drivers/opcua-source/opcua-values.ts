import type { FieldValue, Point } from '@iotwins/telemetry';
import type { OpcuaItem } from './opcua-source.config';

/**
 * OPC-UA built-in type ids (Part 6, 5.1.2), as node-opcua's `DataType` numbers them. Kept
 * here so the mapping is plain code, testable without loading the OPC-UA stack.
 */
const OPCUA_TYPE = {
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  DateTime: 13,
  Guid: 14,
  LocalizedText: 21,
} as const;

/** The part of a node-opcua DataValue the mapping reads (structurally, so tests need no stack). */
export interface OpcuaDataValue {
  value: { dataType: number; arrayType?: number; value: unknown };
  statusCode: { value: number; name: string; toString(): string };
  sourceTimestamp?: Date | null;
  sourcePicoseconds?: number;
  serverTimestamp?: Date | null;
  serverPicoseconds?: number;
}

export type OpcuaPointResult = { point: Point } | { refused: string };

/** Scalar (arrayType 0 or absent) only: an array has no single field value. */
const isScalar = (value: OpcuaDataValue['value']): boolean => !value.arrayType;

/**
 * One data change of a monitored item as a point: the item's measurement, tags and field, the
 * field type taken from the OPC-UA data type, and the source timestamp (the time the machine
 * measured it) as the point's time, the server's timestamp when the source gave none, else
 * `receivedAt`. A change whose status is not Good, or whose type has no field type, is refused.
 */
export function opcuaPoint(
  item: OpcuaItem,
  change: OpcuaDataValue,
  receivedAt: bigint,
): OpcuaPointResult {
  // StatusCode Good is 0; Uncertain and Bad values are not measurements to store.
  if (change.statusCode.value !== 0)
    return { refused: `${item.nodeId}: ${change.statusCode.toString()}` };
  if (!isScalar(change.value))
    return { refused: `${item.nodeId}: an array value has no field type` };
  const field = fieldValue(change.value.dataType, change.value.value);
  if (typeof field === 'string') return { refused: `${item.nodeId}: ${field}` };
  return {
    point: {
      measurement: item.measurement,
      tags: { ...item.tags },
      fields: { [item.field]: field },
      timestamp:
        stamp(change.sourceTimestamp, change.sourcePicoseconds) ??
        stamp(change.serverTimestamp, change.serverPicoseconds) ??
        receivedAt,
    },
  };
}

/** The field value of an OPC-UA scalar, or why it has none. */
export function fieldValue(dataType: number, value: unknown): FieldValue | string {
  switch (dataType) {
    case OPCUA_TYPE.Boolean:
      return { type: 'boolean', value: value === true };
    case OPCUA_TYPE.SByte:
    case OPCUA_TYPE.Byte:
    case OPCUA_TYPE.Int16:
    case OPCUA_TYPE.UInt16:
    case OPCUA_TYPE.Int32:
    case OPCUA_TYPE.UInt32:
      return typeof value === 'number' && Number.isInteger(value)
        ? { type: 'integer', value: BigInt(value) }
        : `expected an integer, got ${typeof value}`;
    case OPCUA_TYPE.Int64:
    case OPCUA_TYPE.UInt64: {
      const wide = int64(value, dataType === OPCUA_TYPE.Int64);
      if (wide === undefined) return 'expected a 64-bit integer';
      // UInt64 stays unsigned: the ingest limits decide whether it is stored as integer.
      return dataType === OPCUA_TYPE.Int64
        ? { type: 'integer', value: wide }
        : { type: 'uinteger', value: wide };
    }
    case OPCUA_TYPE.Float:
    case OPCUA_TYPE.Double:
      return typeof value === 'number' && Number.isFinite(value)
        ? { type: 'float', value }
        : `${String(value)} is not a finite number`;
    case OPCUA_TYPE.String:
      return typeof value === 'string'
        ? { type: 'string', value }
        : 'expected a string, got nothing';
    case OPCUA_TYPE.LocalizedText: {
      const text = (value as { text?: unknown } | null)?.text;
      return typeof text === 'string' ? { type: 'string', value: text } : 'empty localized text';
    }
    case OPCUA_TYPE.DateTime:
      return value instanceof Date && !Number.isNaN(value.getTime())
        ? { type: 'string', value: value.toISOString() }
        : 'not a date';
    case OPCUA_TYPE.Guid:
      return typeof value === 'string' ? { type: 'string', value } : 'not a GUID';
    default:
      return `data type ${dataType} has no field type (numbers, booleans, strings, dates only)`;
  }
}

/**
 * node-opcua holds 64-bit integers as `[high, low]` 32-bit words (a number past 2^53 has no
 * exact JS number); some servers send a plain number or bigint.
 */
function int64(value: unknown, signed: boolean): bigint | undefined {
  let raw: bigint;
  if (Array.isArray(value) && value.length === 2 && value.every((word) => Number.isInteger(word)))
    raw = (BigInt(value[0] >>> 0) << 32n) | BigInt(value[1] >>> 0);
  else if (typeof value === 'bigint') raw = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) raw = BigInt(value);
  else return undefined;
  return signed ? BigInt.asIntN(64, raw) : BigInt.asUintN(64, raw);
}

/** A DataValue time in nanoseconds: node-opcua gives a ms Date and the picoseconds past that ms. */
function stamp(date: Date | null | undefined, picoseconds: number | undefined): bigint | undefined {
  if (!date || Number.isNaN(date.getTime()) || date.getTime() <= 0) return undefined;
  return BigInt(date.getTime()) * 1_000_000n + BigInt(Math.floor((picoseconds ?? 0) / 1000));
}
