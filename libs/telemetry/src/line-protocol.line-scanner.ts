import {
  BOOLEAN_VALUES,
  FLOAT,
  INTEGER,
  LineSyntaxError,
  TIMESTAMP,
  UINTEGER,
  checkLineFieldTypes,
  parseLine,
  trimLine,
  truncate,
  type LineProtocolOptions,
} from './line-protocol.parser';
import { serializePoint } from './line-protocol.serializer';
import { INT64_MAX, INT64_MIN, UINT64_MAX, toNanoseconds } from './point';
import { checkPointLimits, checkPointShape, tooManyFields, tooManyTags } from './point.validation';
import { MAX_BYTES_PER_UNIT, MAX_SERIES_KEY_BYTES, checkSeriesKeyBytes } from './series-key';
import { checkFieldTypes, storedFieldType, type StoredFieldType } from './field-types';

/** A point ready for the store: its measurement (for routing) and its line protocol. */
export interface SerializedPoint {
  measurement: string;
  line: string;
}

/**
 * One trimmed line, validated exactly as parseLineProtocol does (same rules, same messages)
 * but without building a point object when the line is plain: the ingest path only needs
 * each line's measurement and its canonical text. Lines with escapes or string values, and
 * lines whose unsigned fields must be rewritten, take the full parser.
 */
export function scanLine(line: string, options: LineProtocolOptions): SerializedPoint {
  return line.includes('\\') || line.includes('"')
    ? fullPath(line, options)
    : (scanPlainLine(line, options) ?? fullPath(line, options));
}

function fullPath(line: string, options: LineProtocolOptions): SerializedPoint {
  const point = parseLine(line, options);
  checkPointLimits(point, options.limits);
  checkLineFieldTypes(point, options);
  return { measurement: point.measurement, line: serializePoint(point) };
}

/**
 * A line without backslashes or quotes: no escapes, no string fields. Returns undefined when
 * the line has an unsigned field that the store rules rewrite (the full parser does that).
 */
function scanPlainLine(line: string, options: LineProtocolOptions): SerializedPoint | undefined {
  const { limits } = options;
  let pos = 0;
  const token = (stopAtEquals: boolean, what: string): string => {
    const start = pos;
    for (; pos < line.length; pos++) {
      const code = line.charCodeAt(pos);
      if (code === 44 || code === 32 || (stopAtEquals && code === 61)) break;
      if (code === 10) throw new LineSyntaxError(`${what} contains a newline`);
    }
    return line.slice(start, pos);
  };

  const measurement = token(false, 'measurement');
  if (measurement.length === 0) throw new LineSyntaxError('missing measurement');
  const tagKeys: string[] = [];
  const tagValues: string[] = [];
  // Keys seen, for the duplicate checks: an array while short, a set past that (linear time).
  const seenTags = new KeySet();
  while (line.charCodeAt(pos) === 44) {
    pos += 1;
    const key = token(true, 'tag key');
    if (key.length === 0) throw new LineSyntaxError('missing tag key');
    if (line.charCodeAt(pos) !== 61)
      throw new LineSyntaxError(`missing tag value for tag "${key}"`);
    pos += 1;
    const value = token(true, 'tag value');
    if (value.length === 0) throw new LineSyntaxError(`missing tag value for tag "${key}"`);
    if (seenTags.has(key)) throw new LineSyntaxError(`duplicate tag "${key}"`);
    if (tagKeys.length >= limits.maxTagsPerPoint) throw tooManyTags(limits);
    seenTags.add(key);
    tagKeys.push(key);
    tagValues.push(value);
  }
  if (line.charCodeAt(pos) !== 32) throw new LineSyntaxError('missing fields');
  const keyEnd = pos;
  pos += 1;
  // Extra spaces between sections, and repeated field keys, are the full parser's to rewrite.
  if (line.charCodeAt(pos) === 32) return undefined;

  const fieldKeys: string[] = [];
  const fieldTypes: StoredFieldType[] = [];
  const seenFields = new KeySet();
  let longestField = 0;
  let unsigned = false;
  for (;;) {
    const key = token(true, 'field key');
    if (key.length === 0) throw new LineSyntaxError('missing field key');
    if (line.charCodeAt(pos) !== 61) {
      throw new LineSyntaxError(
        fieldKeys.length === 0 ? 'missing fields' : `field "${key}" has no "=value"`,
      );
    }
    pos += 1;
    if (seenFields.has(key)) return undefined;
    // Counted as they are read: a line of 100,000 fields stops at the first one too many.
    if (fieldKeys.length >= limits.maxFieldsPerPoint) throw tooManyFields(limits);
    seenFields.add(key);
    fieldKeys.push(key);
    if (key.length > longestField) longestField = key.length;
    const start = pos;
    while (pos < line.length && line.charCodeAt(pos) !== 44 && line.charCodeAt(pos) !== 32) pos++;
    const type = checkValue(line.slice(start, pos), key);
    if (type === 'uinteger') unsigned = true;
    fieldTypes.push(storedFieldType(type, limits.unsignedAsInteger));
    if (line.charCodeAt(pos) !== 44) break;
    pos += 1;
  }

  const fieldsEnd = pos;
  let timestamp = options.defaultTimestamp;
  let text: string | undefined;
  if (pos < line.length) {
    if (line.charCodeAt(pos) !== 32) {
      throw new LineSyntaxError(
        `unexpected character "${line[pos]}" after field "${fieldKeys[fieldKeys.length - 1]}"`,
      );
    }
    text = trimLine(line.slice(pos + 1));
    if (!TIMESTAMP.test(text)) throw new LineSyntaxError(`invalid timestamp "${text}"`);
    timestamp =
      options.precision === 'ns' ? BigInt(text) : toNanoseconds(BigInt(text), options.precision);
  }

  checkPointShape({ measurement, tagKeys, tagValues, fieldKeys, timestamp }, limits);
  // No escapes here: the key is the text before the fields, as InfluxDB will read it.
  if ((keyEnd + longestField) * MAX_BYTES_PER_UNIT + 4 > MAX_SERIES_KEY_BYTES) {
    let longestBytes = 0;
    for (const key of fieldKeys) longestBytes = Math.max(longestBytes, Buffer.byteLength(key));
    checkSeriesKeyBytes(Buffer.byteLength(line.slice(0, keyEnd)), longestBytes);
  }
  if (unsigned && limits.unsignedAsInteger) return undefined;
  if (options.fieldTypes) {
    const conflict = checkFieldTypes(
      options.fieldTypes,
      measurement,
      fieldKeys.map((key, i) => [key, fieldTypes[i]!] as const),
    );
    if (conflict !== undefined) throw new LineSyntaxError(conflict);
  }
  const canonical = text !== undefined && text.length + 1 === line.length - fieldsEnd;
  return {
    measurement,
    line:
      canonical && options.precision === 'ns' ? line : `${line.slice(0, fieldsEnd)} ${timestamp}`,
  };
}

/** The same checks as readFieldValue, without building the value. */
function checkValue(text: string, key: string): 'integer' | 'uinteger' | 'boolean' | 'float' {
  if (text.length === 0) throw new LineSyntaxError(`missing field value for field "${key}"`);
  const last = text.charCodeAt(text.length - 1);
  if (last === 105 && INTEGER.test(text)) {
    // Fewer than 19 digits cannot leave the 64-bit range; only longer ones need BigInt.
    if (text.length >= 20) {
      const value = BigInt(text.slice(0, -1));
      if (value < INT64_MIN || value > INT64_MAX)
        throw new LineSyntaxError(`integer field "${key}" is out of the 64-bit range`);
    }
    return 'integer';
  }
  if (last === 117 && UINTEGER.test(text)) {
    if (text.length >= 21 && BigInt(text.slice(0, -1)) > UINT64_MAX) {
      throw new LineSyntaxError(`unsigned field "${key}" is out of the 64-bit range`);
    }
    return 'uinteger';
  }
  if (BOOLEAN_VALUES[text] !== undefined) return 'boolean';
  if (FLOAT.test(text) && Number.isFinite(Number(text))) return 'float';
  if (FLOAT.test(text)) throw new LineSyntaxError(`float field "${key}" is out of range`);
  throw new LineSyntaxError(`invalid value "${truncate(text)}" for field "${key}"`);
}

/** Membership of a line's keys: a scan of a short list, a Set once the list grows. */
class KeySet {
  private readonly keys: string[] = [];
  private set: Set<string> | undefined;

  has(key: string): boolean {
    return this.set ? this.set.has(key) : this.keys.includes(key);
  }

  add(key: string): void {
    if (this.set) this.set.add(key);
    else if (this.keys.push(key) > 16) this.set = new Set(this.keys);
  }
}
