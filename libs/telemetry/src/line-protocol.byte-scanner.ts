import type { LineProtocolOptions } from './line-protocol.parser';
import type { TelemetryLimits } from './telemetry-limits';
import { checkFieldTypes, type RequestFieldTypes, type StoredFieldType } from './field-types';
import { MAX_SERIES_KEY_BYTES } from './series-key';

const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;
const QUOTE = 34;
const BACKSLASH = 92;
const DOT = 46;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;
const LOWER_I = 105;
const LOWER_U = 117;
const LOWER_E = 101;
const UPPER_E = 69;

/** Printable ASCII apart from the quote and the backslash: what a plain line is made of. */
function isPlain(code: number): boolean {
  return code > SPACE && code < 127 && code !== QUOTE && code !== BACKSLASH;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

/** An integer with at most 18 digits cannot leave the 64-bit range. */
const SAFE_INTEGER_DIGITS = 18;
/** Keys of a line compared pairwise; past that, a set of them finds a repeat. */
const PAIRWISE_KEYS = 16;
/** A float without an exponent and with fewer digits than this is finite. */
const SAFE_FLOAT_DIGITS = 300;

const BOOLEANS = ['t', 'T', 'f', 'F', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE'].map(
  (text) => Buffer.from(text),
);
const TIME = Buffer.from('time');

/** The types a plain value can have, by the code plainValue answers (-1: not plain). */
const PLAIN_TYPES: readonly StoredFieldType[] = ['float', 'integer', 'boolean'];

/**
 * Accepts, straight from the bytes of a request body, the lines the ingest path sees most:
 * printable ASCII without escapes or string values, float, integer or boolean fields, and a
 * nanosecond timestamp, every rule of the platform met. Such a line is stored exactly as it
 * came, so it is never decoded, split or copied. It answers undefined for any other line,
 * valid or not, and the caller hands that line to the full scanner, which gives the exact
 * reason a line is refused; this class never judges a line bad.
 */
export class PlainLineBytes {
  private readonly limits: TelemetryLimits;
  private readonly enabled: boolean;
  private readonly maxTimestamp: Buffer | undefined;
  private readonly minTimestamp: Buffer | undefined;
  private readonly keyStarts: Int32Array;
  private readonly keyEnds: Int32Array;
  private readonly fieldTypes: RequestFieldTypes | undefined;
  private readonly types: Int8Array;
  /** The fields (keys and types) of the last line whose types were checked, and its measurement. */
  private readonly shapeStarts: Int32Array;
  private readonly shapeEnds: Int32Array;
  private readonly shapeTypes: Int8Array;
  private shapeFields = 0;
  private readonly wideKeys = new Set<string>();
  private shapeMeasurement: string | undefined;
  private lastStart = -1;
  private lastEnd = -1;
  private lastMeasurement = '';

  constructor(
    private readonly body: Buffer,
    options: LineProtocolOptions,
  ) {
    this.limits = options.limits;
    const { minTimestampNs, maxTimestampNs } = this.limits;
    // Timestamps in other units are rewritten, and negative ones are rare: both go the slow way.
    this.enabled = options.precision === 'ns' && maxTimestampNs >= 0n;
    this.maxTimestamp = maxTimestampNs >= 0n ? Buffer.from(String(maxTimestampNs)) : undefined;
    this.minTimestamp = minTimestampNs > 0n ? Buffer.from(String(minTimestampNs)) : undefined;
    const keys = Math.max(this.limits.maxTagsPerPoint, this.limits.maxFieldsPerPoint) + 1;
    this.keyStarts = new Int32Array(keys);
    this.keyEnds = new Int32Array(keys);
    this.fieldTypes = options.fieldTypes;
    this.types = new Int8Array(keys);
    this.shapeStarts = new Int32Array(keys);
    this.shapeEnds = new Int32Array(keys);
    this.shapeTypes = new Int8Array(keys);
  }

  /** The measurement of the line at start..end when it is plain and valid, else undefined. */
  measurementOf(start: number, end: number): string | undefined {
    if (!this.enabled) return undefined;
    const { body, limits } = this;
    let pos = start;
    while (pos < end && body[pos] !== COMMA && body[pos] !== SPACE) {
      if (!isPlain(body[pos]!)) return undefined;
      pos++;
    }
    const measurementEnd = pos;
    if (measurementEnd === start || measurementEnd - start > limits.maxNameLength) return undefined;

    let tags = 0;
    while (body[pos] === COMMA) {
      const keyStart = ++pos;
      pos = this.nameEnd(pos, end);
      const keyEnd = pos;
      if (!this.validKey(keyStart, keyEnd, tags, limits.maxTagsPerPoint)) return undefined;
      if (body[pos] !== EQUALS) return undefined;
      const valueStart = ++pos;
      pos = this.nameEnd(pos, end);
      if (pos <= valueStart || pos - valueStart > limits.maxTagValueLength) return undefined;
      this.keyStarts[tags] = keyStart;
      this.keyEnds[tags] = keyEnd;
      tags++;
    }
    if (pos >= end || body[pos] !== SPACE) return undefined;
    const keyBytes = pos - start;
    pos++;

    let fields = 0;
    let longestField = 0;
    for (;;) {
      const keyStart = pos;
      pos = this.nameEnd(pos, end);
      const keyEnd = pos;
      if (!this.validKey(keyStart, keyEnd, fields, limits.maxFieldsPerPoint)) return undefined;
      if (body[pos] !== EQUALS) return undefined;
      this.keyStarts[fields] = keyStart;
      this.keyEnds[fields] = keyEnd;
      fields++;
      if (keyEnd - keyStart > longestField) longestField = keyEnd - keyStart;
      const valueStart = ++pos;
      while (pos < end && body[pos] !== COMMA && body[pos] !== SPACE) {
        if (!isPlain(body[pos]!)) return undefined;
        pos++;
      }
      const type = this.plainValue(valueStart, pos);
      if (type < 0) return undefined;
      this.types[fields - 1] = type;
      if (pos >= end || body[pos] !== COMMA) break;
      pos++;
    }

    // A series key too long for InfluxDB: the full scanner says so.
    if (keyBytes + 4 + longestField > MAX_SERIES_KEY_BYTES) return undefined;
    // A line without a timestamp is stamped with the write time, which rewrites it.
    if (pos >= end || body[pos] !== SPACE) return undefined;
    const timestampStart = ++pos;
    while (pos < end && isDigit(body[pos]!)) pos++;
    if (pos !== end || pos === timestampStart) return undefined;
    if (!this.inTimeRange(timestampStart, end)) return undefined;
    const measurement = this.measurement(start, measurementEnd);
    // A conflicting line goes the slow way, which names the conflict.
    if (this.fieldTypes && !this.typesAgree(measurement, fields)) return undefined;
    return measurement;
  }

  /**
   * Checks the field types of a valid line, and records them. Lines of one body mostly repeat
   * the fields of the line before, with the same types: those are known to agree, so the
   * registry is asked only when the measurement, a key or a type changes.
   */
  private typesAgree(measurement: string, fields: number): boolean {
    if (measurement === this.shapeMeasurement && fields === this.shapeFields) {
      let same = true;
      for (let i = 0; i < fields && same; i++) {
        same =
          this.types[i] === this.shapeTypes[i] &&
          this.sameBytes(
            this.shapeStarts[i]!,
            this.shapeEnds[i]!,
            this.keyStarts[i]!,
            this.keyEnds[i]!,
          );
      }
      if (same) return true;
    }
    const entries: (readonly [string, StoredFieldType])[] = [];
    for (let i = 0; i < fields; i++) {
      entries.push([
        this.body.toString('latin1', this.keyStarts[i]!, this.keyEnds[i]!),
        PLAIN_TYPES[this.types[i]!]!,
      ]);
    }
    if (checkFieldTypes(this.fieldTypes!, measurement, entries) !== undefined) return false;
    this.shapeMeasurement = measurement;
    this.shapeFields = fields;
    this.shapeStarts.set(this.keyStarts.subarray(0, fields));
    this.shapeEnds.set(this.keyEnds.subarray(0, fields));
    this.shapeTypes.set(this.types.subarray(0, fields));
    return true;
  }

  /** End of a tag key, tag value or field key: the next unescaped ",", " " or "=". */
  private nameEnd(pos: number, end: number): number {
    const { body } = this;
    while (pos < end) {
      const code = body[pos]!;
      if (code === COMMA || code === SPACE || code === EQUALS) return pos;
      if (!isPlain(code)) return -1;
      pos++;
    }
    return pos;
  }

  /** A key that is not empty, not too long, not "time" and not already among the first `count`. */
  private validKey(start: number, end: number, count: number, max: number): boolean {
    if (end < 0 || end === start || end - start > this.limits.maxNameLength || count >= max) {
      return false;
    }
    if (this.equals(start, end, TIME)) return false;
    // Comparing with every key before is quadratic: past a few keys, a set of them is used.
    if (count >= PAIRWISE_KEYS) return this.newWideKey(start, end, count);
    for (let i = 0; i < count; i++) {
      if (this.sameBytes(this.keyStarts[i]!, this.keyEnds[i]!, start, end)) return false;
    }
    return true;
  }

  /** The duplicate check of a wide line: the set is made when the line reaches that width. */
  private newWideKey(start: number, end: number, count: number): boolean {
    const text = (from: number, to: number): string => this.body.toString('latin1', from, to);
    if (count === PAIRWISE_KEYS) {
      this.wideKeys.clear();
      for (let i = 0; i < count; i++) this.wideKeys.add(text(this.keyStarts[i]!, this.keyEnds[i]!));
    }
    const key = text(start, end);
    if (this.wideKeys.has(key)) return false;
    this.wideKeys.add(key);
    return true;
  }

  /**
   * A float (0), an integer within 64 bits (1) or a boolean (2); -1 for anything else.
   * Unsigned values are rewritten, so they are not plain.
   */
  private plainValue(start: number, end: number): number {
    const { body } = this;
    if (end === start) return -1;
    const last = body[end - 1]!;
    if (last === LOWER_U) return -1;
    let pos = start;
    // Only "-" may lead a number: InfluxDB refuses "+1" ("invalid boolean").
    if (body[pos] === MINUS) pos++;
    if (last === LOWER_I) {
      const digits = end - 1 - pos;
      if (digits < 1 || digits > SAFE_INTEGER_DIGITS) return -1;
      for (; pos < end - 1; pos++) if (!isDigit(body[pos]!)) return -1;
      return 1;
    }
    const whole = pos;
    while (pos < end && isDigit(body[pos]!)) pos++;
    let digits = pos - whole;
    if (pos < end && body[pos] === DOT) {
      const fraction = ++pos;
      while (pos < end && isDigit(body[pos]!)) pos++;
      digits += pos - fraction;
    }
    if (pos === end) return digits > 0 && digits < SAFE_FLOAT_DIGITS ? 0 : -1;
    // Exponents may overflow to infinity; the full scanner decides those.
    if (body[pos] === LOWER_E || body[pos] === UPPER_E) return -1;
    return BOOLEANS.some((text) => this.equals(start, end, text)) ? 2 : -1;
  }

  private inTimeRange(start: number, end: number): boolean {
    let pos = start;
    while (pos < end - 1 && this.body[pos] === ZERO) pos++;
    if (this.maxTimestamp === undefined || this.compareNumber(pos, end, this.maxTimestamp) > 0) {
      return false;
    }
    return this.minTimestamp === undefined || this.compareNumber(pos, end, this.minTimestamp) >= 0;
  }

  /** Compares the digits start..end, without leading zeros, with a decimal number. */
  private compareNumber(start: number, end: number, digits: Buffer): number {
    if (end - start !== digits.length) return end - start - digits.length;
    for (let i = 0; i < digits.length; i++) {
      const difference = this.body[start + i]! - digits[i]!;
      if (difference !== 0) return difference;
    }
    return 0;
  }

  /** Lines of one body mostly share their measurement: its text is made once per run. */
  private measurement(start: number, end: number): string {
    if (!this.sameBytes(this.lastStart, this.lastEnd, start, end)) {
      this.lastMeasurement = this.body.toString('latin1', start, end);
      this.lastStart = start;
      this.lastEnd = end;
    }
    return this.lastMeasurement;
  }

  private sameBytes(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
    if (aEnd - aStart !== bEnd - bStart || aStart < 0) return false;
    const { body } = this;
    for (let i = 0; i < aEnd - aStart; i++) if (body[aStart + i] !== body[bStart + i]) return false;
    return true;
  }

  private equals(start: number, end: number, text: Buffer): boolean {
    if (end - start !== text.length) return false;
    for (let i = 0; i < text.length; i++) if (this.body[start + i] !== text[i]) return false;
    return true;
  }
}
