export {
  INT64_MAX,
  INT64_MIN,
  MAX_TIMESTAMP_NS,
  MIN_TIMESTAMP_NS,
  UINT64_MAX,
  nowNanoseconds,
  parsePrecision,
  toNanoseconds,
  type FieldType,
  type FieldValue,
  type Point,
  type Precision,
} from './point';
export { INSTANCE_SLOTS, ServerClock } from './server-clock';
export { DEFAULT_TELEMETRY_LIMITS, type TelemetryLimits } from './telemetry-limits';
export { PointError, checkPointLimits, checkPointShape, type PointShape } from './point.validation';
export { MAX_SERIES_KEY_BYTES } from './series-key';
export { scanLineProtocol, type ScannedBatch } from './line-protocol.scanner';
export { type SerializedPoint } from './line-protocol.line-scanner';
export { LineBatch } from './line-batch';
export {
  parseLineProtocol,
  type LineError,
  type LineProtocolOptions,
  type ParsedBatch,
} from './line-protocol.parser';
export { serializePoint, serializePoints } from './line-protocol.serializer';
export { parseJsonPoints, type JsonPointError, type JsonPointsOptions } from './json-points.parser';
export { CsvHeaderError, parseCsvPoints, type CsvPointsOptions } from './csv-points.parser';
export { formatRfc3339Nanoseconds, parseRfc3339Nanoseconds } from './rfc3339';
export {
  RequestFieldTypes,
  STORED_FIELD_TYPES,
  checkFieldTypes,
  checkPointFieldTypes,
  fieldTypeConflict,
  storedFieldType,
  type FieldTypeLookup,
  type PointFieldTypeError,
  type StoredFieldType,
} from './field-types';
