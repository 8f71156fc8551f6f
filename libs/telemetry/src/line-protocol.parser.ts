import {
  INT64_MAX,
  INT64_MIN,
  UINT64_MAX,
  toNanoseconds,
  type FieldValue,
  type Point,
  type Precision,
} from './point';
import type { TelemetryLimits } from './telemetry-limits';
import { checkPointLimits, tooManyFields, tooManyTags } from './point.validation';
import { checkFieldTypes, storedFieldType, type RequestFieldTypes } from './field-types';

export interface LineError {
  /** 1-based line number in the body. */
  line: number;
  detail: string;
}

export interface ParsedBatch {
  points: Point[];
  /** The first maxListedErrors bad lines (all of them without that option). */
  errors: LineError[];
  /** Bad lines in all, listed or not. */
  errorCount: number;
  /**
   * True when reading stopped because the body held more than maxPointsPerBatch lines,
   * good or bad: a refused line costs as much work as a stored one, so it counts too.
   */
  truncated: boolean;
}

export interface LineProtocolOptions {
  precision: Precision;
  /** Timestamp given to lines without one, in nanoseconds (InfluxDB uses its write time). */
  defaultTimestamp: bigint;
  limits: TelemetryLimits;
  /**
   * Field types the lines must agree with (the store's, then earlier lines'); a line that
   * conflicts is refused with InfluxDB's reason. Without it, types are not checked.
   */
  fieldTypes?: RequestFieldTypes;
  /**
   * Bad lines listed at most (the others are only counted), so that an answer naming them
   * stays within its transport's limit. Unset: every bad line is listed.
   */
  maxListedErrors?: number;
}

/** Bad lines kept for the answer, up to a bound, and counted beyond it. */
export class LineErrors {
  readonly listed: LineError[] = [];
  count = 0;

  constructor(private readonly max = Infinity) {}

  add(line: number, detail: string): void {
    this.count += 1;
    if (this.listed.length < this.max) this.listed.push({ line, detail });
  }
}

export class LineSyntaxError extends Error {}

export const BOOLEAN_VALUES: Record<string, boolean> = {
  t: true,
  T: true,
  true: true,
  True: true,
  TRUE: true,
  f: false,
  F: false,
  false: false,
  False: false,
  FALSE: false,
};

// InfluxDB reads a value starting with "+" as a boolean, and refuses it ("invalid boolean"):
// a sign is allowed only as "-" in front, or in the exponent (models.scanNumber).
export const FLOAT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
export const INTEGER = /^-?\d+i$/;
export const UINTEGER = /^\d+u$/;
export const TIMESTAMP = /^-?\d+$/;

/**
 * Parses InfluxDB line protocol with its escaping rules, the way InfluxDB 1.x does: each
 * line stands alone, good lines are kept and every bad line is reported with its number
 * and reason. Newlines inside a quoted string field value belong to the value.
 */
export function parseLineProtocol(body: string, options: LineProtocolOptions): ParsedBatch {
  const points: Point[] = [];
  const errors = new LineErrors(options.maxListedErrors);
  const truncated = forEachLine(body, options.limits.maxPointsPerBatch, (line, lineNumber) => {
    try {
      const point = parseLine(line, options);
      checkPointLimits(point, options.limits);
      checkLineFieldTypes(point, options);
      points.push(point);
    } catch (error) {
      errors.add(lineNumber, (error as Error).message);
    }
    return true;
  });
  return { points, errors: errors.listed, errorCount: errors.count, truncated };
}

/**
 * Calls `visit` with each non-empty, non-comment line (trimmed) and its 1-based number, and
 * returns true when it stopped because `maxPoints` lines were taken (visit returns whether
 * it took the line).
 */
export function forEachLine(
  body: string,
  maxPoints: number,
  visit: (line: string, lineNumber: number) => boolean,
): boolean {
  let taken = 0;
  let lineNumber = 0;
  let start = 0;
  const ahead: Lookahead = { quote: -2, backslash: -2 };
  while (start < body.length) {
    const end = endOfLine(body, start, ahead);
    lineNumber += 1;
    const firstLine = lineNumber;
    // A quoted value spanning lines advances the line counter past them.
    for (let i = start; i < end; i++) if (body.charCodeAt(i) === 10) lineNumber += 1;
    const raw = body.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    const line = trimLine(raw);
    if (line.length === 0 || line.startsWith('#')) continue;
    if (taken >= maxPoints) return true;
    if (visit(line, firstLine)) taken += 1;
  }
  return false;
}

/**
 * A line without the spaces and tabs around it. InfluxDB trims only those: a line ending in
 * another control character (\v, \f) is refused, not silently cleaned.
 */
export function trimLine(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && isBlank(line.charCodeAt(start))) start++;
  while (end > start && isBlank(line.charCodeAt(end - 1))) end--;
  return start === 0 && end === line.length ? line : line.slice(start, end);
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/** Refuses a point whose field types conflict with the store's or earlier lines'. */
export function checkLineFieldTypes(point: Point, options: LineProtocolOptions): void {
  if (!options.fieldTypes) return;
  const conflict = checkFieldTypes(
    options.fieldTypes,
    point.measurement,
    Object.entries(point.fields).map(
      ([key, field]) =>
        [key, storedFieldType(field.type, options.limits.unsignedAsInteger)] as const,
    ),
  );
  if (conflict !== undefined) throw new LineSyntaxError(conflict);
}

/** Index of the newline that ends the line starting at `start`, outside quoted values. */
/** Positions of the next quote and backslash in the body, searched again only once passed. */
interface Lookahead {
  quote: number;
  backslash: number;
}

function next(body: string, char: string, from: number, known: number): number {
  if (known >= from || known === -1) return known;
  return body.indexOf(char, from);
}

function endOfLine(body: string, start: number, ahead: Lookahead): number {
  const newline = body.indexOf('\n', start);
  const end = newline < 0 ? body.length : newline;
  // Fast path: a line without quotes or backslashes ends at the next newline.
  ahead.quote = next(body, '"', start, ahead.quote);
  ahead.backslash = next(body, '\\', start, ahead.backslash);
  if ((ahead.quote < 0 || ahead.quote > end) && (ahead.backslash < 0 || ahead.backslash > end))
    return end;
  let quoted = false;
  let inFields = false;
  for (let i = start; i < body.length; i++) {
    const code = body.charCodeAt(i);
    if (code === 92 /* \ */ && body.charCodeAt(i + 1) !== 10) {
      i += 1;
      continue;
    }
    if (code === 10 /* \n */ && !quoted) return i;
    // Quotes only delimit values in the field set, after the first unescaped space.
    if (code === 32 /* space */ && !quoted) inFields = true;
    if (code === 34 /* " */ && inFields) quoted = !quoted;
  }
  return body.length;
}

export function parseLine(line: string, options: LineProtocolOptions): Point {
  const cursor = { pos: 0 };
  const measurement = readName(line, cursor, MEASUREMENT_STOPS, 'measurement');
  if (measurement.length === 0) throw new LineSyntaxError('missing measurement');

  const tags: Record<string, string> = {};
  let tagCount = 0;
  while (line[cursor.pos] === ',') {
    cursor.pos += 1;
    const key = readName(line, cursor, KEY_STOPS, 'tag key');
    if (key.length === 0) throw new LineSyntaxError('missing tag key');
    if (line[cursor.pos] !== '=') throw new LineSyntaxError(`missing tag value for tag "${key}"`);
    cursor.pos += 1;
    const value = readName(line, cursor, KEY_STOPS, 'tag value');
    if (value.length === 0) throw new LineSyntaxError(`missing tag value for tag "${key}"`);
    if (key in tags) throw new LineSyntaxError(`duplicate tag "${key}"`);
    // Counted as they are read: a line of 100,000 tags stops at the first one too many.
    if (++tagCount > options.limits.maxTagsPerPoint) throw tooManyTags(options.limits);
    tags[key] = value;
  }
  if (line[cursor.pos] !== ' ') throw new LineSyntaxError('missing fields');
  const tagsEnd = cursor.pos;
  // Several spaces between sections are one separator, as in InfluxDB.
  while (line[cursor.pos] === ' ') cursor.pos += 1;
  // The stored line is rebuilt when the input is not canonical (extra spaces, repeated keys).
  let rewrite = cursor.pos > tagsEnd + 1;

  const fields: Record<string, FieldValue> = {};
  let fieldCount = 0;
  for (;;) {
    const key = readName(line, cursor, KEY_STOPS, 'field key');
    if (key.length === 0) throw new LineSyntaxError('missing field key');
    if (line[cursor.pos] !== '=') {
      throw new LineSyntaxError(
        Object.keys(fields).length === 0 ? 'missing fields' : `field "${key}" has no "=value"`,
      );
    }
    cursor.pos += 1;
    // A repeated field key keeps its last value, as InfluxDB does.
    if (key in fields) rewrite = true;
    else if (++fieldCount > options.limits.maxFieldsPerPoint) throw tooManyFields(options.limits);
    fields[key] = readFieldValue(line, cursor, key);
    if (line[cursor.pos] !== ',') break;
    cursor.pos += 1;
  }

  const fieldsEnd = cursor.pos;
  let timestamp = options.defaultTimestamp;
  if (cursor.pos < line.length) {
    if (line[cursor.pos] !== ' ') {
      throw new LineSyntaxError(
        `unexpected character "${line[cursor.pos]}" after field "${Object.keys(fields).pop()}"`,
      );
    }
    const text = trimLine(line.slice(cursor.pos + 1));
    if (!TIMESTAMP.test(text)) throw new LineSyntaxError(`invalid timestamp "${text}"`);
    timestamp =
      options.precision === 'ns' ? BigInt(text) : toNanoseconds(BigInt(text), options.precision);
    if (options.precision === 'ns' && !rewrite && text.length + 1 === line.length - fieldsEnd)
      return { measurement, tags, fields, timestamp, line };
  }
  if (rewrite) return { measurement, tags, fields, timestamp };
  return { measurement, tags, fields, timestamp, line: `${line.slice(0, fieldsEnd)} ${timestamp}` };
}

/** Characters that end each kind of name when not escaped, and those an escape may hide. */
const MEASUREMENT_STOPS = { equals: false };
const KEY_STOPS = { equals: true };
type Stops = typeof MEASUREMENT_STOPS;

function isStop(code: number, stops: Stops): boolean {
  return code === 44 /* , */ || code === 32 /* space */ || (stops.equals && code === 61) /* = */;
}

function readName(line: string, cursor: { pos: number }, stops: Stops, what: string): string {
  const start = cursor.pos;
  let i = start;
  // Fast path: most names have no escapes and are one slice of the line.
  for (; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (isStop(code, stops)) {
      cursor.pos = i;
      return line.slice(start, i);
    }
    if (code === 92 /* \\ */) break;
    if (code === 10) throw new LineSyntaxError(`${what} contains a newline`);
  }
  if (i === line.length) {
    cursor.pos = i;
    return line.slice(start);
  }
  let out = line.slice(start, i);
  for (; i < line.length; i++) {
    const char = line[i]!;
    if (char === '\\' && i + 1 < line.length && isStop(line.charCodeAt(i + 1), stops)) {
      out += line[i + 1];
      i += 1;
      continue;
    }
    if (isStop(line.charCodeAt(i), stops)) break;
    if (char === '\n') throw new LineSyntaxError(`${what} contains a newline`);
    out += char;
  }
  cursor.pos = i;
  return out;
}

function readFieldValue(line: string, cursor: { pos: number }, key: string): FieldValue {
  if (line[cursor.pos] === '"') return { type: 'string', value: readQuoted(line, cursor, key) };
  let end = cursor.pos;
  while (end < line.length && line[end] !== ',' && line[end] !== ' ') end++;
  const text = line.slice(cursor.pos, end);
  cursor.pos = end;
  if (text.length === 0) throw new LineSyntaxError(`missing field value for field "${key}"`);
  // Dispatch on the last and first characters instead of trying every pattern in turn.
  const last = text.charCodeAt(text.length - 1);
  if (last === 105 /* i */ && INTEGER.test(text)) {
    const value = BigInt(text.slice(0, -1));
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new LineSyntaxError(`integer field "${key}" is out of the 64-bit range`);
    }
    return { type: 'integer', value };
  }
  if (last === 117 /* u */ && UINTEGER.test(text)) {
    const value = BigInt(text.slice(0, -1));
    if (value > UINT64_MAX)
      throw new LineSyntaxError(`unsigned field "${key}" is out of the 64-bit range`);
    return { type: 'uinteger', value };
  }
  const boolean = BOOLEAN_VALUES[text];
  if (boolean !== undefined) return { type: 'boolean', value: boolean };
  if (FLOAT.test(text)) {
    const value = Number(text);
    if (!Number.isFinite(value)) throw new LineSyntaxError(`float field "${key}" is out of range`);
    return { type: 'float', value };
  }
  throw new LineSyntaxError(`invalid value "${truncate(text)}" for field "${key}"`);
}

function readQuoted(line: string, cursor: { pos: number }, key: string): string {
  const start = cursor.pos + 1;
  const close = line.indexOf('"', start);
  const escape = line.indexOf('\\', start);
  // Fast path: no backslash before the closing quote.
  if (close >= 0 && (escape < 0 || escape > close)) {
    cursor.pos = close + 1;
    return line.slice(start, close);
  }
  let out = '';
  let i = start;
  for (; i < line.length; i++) {
    const char = line[i]!;
    if (char === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
      out += line[i + 1];
      i += 1;
      continue;
    }
    if (char === '"') {
      cursor.pos = i + 1;
      return out;
    }
    out += char;
  }
  throw new LineSyntaxError(`unterminated string value for field "${key}"`);
}

export function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
