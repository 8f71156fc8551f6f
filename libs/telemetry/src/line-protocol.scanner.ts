import { isUtf8 } from 'node:buffer';
import { LineBatch } from './line-batch';
import { PlainLineBytes } from './line-protocol.byte-scanner';
import { scanLine } from './line-protocol.line-scanner';
import {
  LineErrors,
  trimLine,
  type LineError,
  type LineProtocolOptions,
} from './line-protocol.parser';

export interface ScannedBatch {
  /** The good lines, grouped by measurement, ready to publish. */
  batch: LineBatch;
  /** The first maxListedErrors bad lines (all of them without that option). */
  errors: LineError[];
  /** Bad lines in all, listed or not. */
  errorCount: number;
  /**
   * True when scanning stopped because the body held more than maxPointsPerBatch lines,
   * good or bad: a refused line costs as much work as a stored one, so it counts too.
   */
  truncated: boolean;
}

const NEWLINE = 10;
const CR = 13;
const BACKSLASH = 92;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;

/**
 * Validates a body of line protocol with the rules and messages of parseLineProtocol, keeping
 * good lines and listing bad ones by number, without building a point per line. Plain lines
 * are checked on the bytes and kept as slices of the body; any other line is decoded and
 * scanned as text. A line that is not valid UTF-8 is refused on its own, as InfluxDB keeps
 * the good lines around it.
 */
export function scanLineProtocol(
  input: string | Uint8Array,
  options: LineProtocolOptions,
): ScannedBatch {
  const body =
    typeof input === 'string'
      ? Buffer.from(input)
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const batch = new LineBatch();
  const errors = new LineErrors(options.maxListedErrors);
  const result = (truncated: boolean): ScannedBatch => ({
    batch,
    errors: errors.listed,
    errorCount: errors.count,
    truncated,
  });
  const plain = new PlainLineBytes(body, options);
  const maxPoints = options.limits.maxPointsPerBatch;
  let lineNumber = 0;
  let start = 0;
  while (start < body.length) {
    lineNumber += 1;
    let end = body.indexOf(NEWLINE, start);
    if (end < 0) end = body.length;
    if (end === start) {
      start = end + 1;
      continue;
    }
    // Lines may end in CRLF; the CR is not part of the line.
    const lineEnd = body[end - 1] === CR ? end - 1 : end;
    // A comment without quotes ends at its newline; one with quotes may run over lines.
    if (body[start] === HASH && !hasQuote(body, start, end)) {
      start = end + 1;
      continue;
    }
    const measurement =
      body[start] !== HASH && batch.size + errors.count < maxPoints
        ? plain.measurementOf(start, lineEnd)
        : undefined;
    if (measurement !== undefined) {
      batch.addRange(measurement, body, start, lineEnd);
      start = end + 1;
      continue;
    }

    // Any other line: it may span newlines inside a quoted value.
    end = endOfLine(body, start);
    const firstLine = lineNumber;
    for (let i = start; i < end; i++) if (body[i] === NEWLINE) lineNumber += 1;
    const bytes = body.subarray(start, end);
    const line = trimLine(bytes.toString('utf8').replace(/\r$/, ''));
    start = end + 1;
    if (line.length === 0 || line.startsWith('#')) continue;
    // Refused lines count towards the limit: a body of millions of bad lines stops here.
    if (batch.size + errors.count >= maxPoints) return result(true);
    if (!isUtf8(bytes)) {
      errors.add(firstLine, 'the line is not valid UTF-8');
      continue;
    }
    try {
      const point = scanLine(line, options);
      batch.addLine(point.measurement, point.line);
    } catch (error) {
      errors.add(firstLine, (error as Error).message);
    }
  }
  return result(false);
}

function hasQuote(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (body[i] === QUOTE) return true;
  return false;
}

/**
 * Index of the newline that ends the line starting at `start`: quotes delimit string values
 * only in the field set, after the first unescaped space, and a backslash escapes what follows
 * unless that is a newline.
 */
function endOfLine(body: Buffer, start: number): number {
  let quoted = false;
  let inFields = false;
  for (let i = start; i < body.length; i++) {
    const code = body[i];
    if (code === BACKSLASH && body[i + 1] !== NEWLINE) {
      i += 1;
      continue;
    }
    if (code === NEWLINE && !quoted) return i;
    if (code === SPACE && !quoted) inFields = true;
    if (code === QUOTE && inFields) quoted = !quoted;
  }
  return body.length;
}
