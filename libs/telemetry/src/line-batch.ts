import type { SerializedPoint } from './line-protocol.line-scanner';
import { forEachLine } from './line-protocol.parser';
import { serializePoint } from './line-protocol.serializer';
import type { Point } from './point';

/** Largest message body the ingest path publishes; below NATS's default max_payload of 1 MiB. */
export const MAX_LINE_MESSAGE_BYTES = 512 * 1024;

/** Line protocol of one measurement, at most maxBytes per body unless one line is larger. */
export interface LineMessage {
  measurement: string;
  body: Uint8Array;
  points: number;
}

const NEWLINE = Buffer.from('\n');

/** Whole lines joined by newlines: a slice of a request body, or lines encoded together. */
interface Run {
  bytes: Uint8Array;
  points: number;
}

/** The lines of one measurement, in the order they came, the last run still growing. */
class MeasurementLines {
  readonly runs: Run[] = [];
  private source: Uint8Array | undefined;
  private start = 0;
  private end = 0;
  private texts: string[] = [];
  private textBytes = 0;
  private points = 0;

  constructor(
    readonly measurement: string,
    private readonly maxBytes: number,
  ) {}

  addRange(source: Uint8Array, start: number, end: number): void {
    // Lines that follow each other in the body, one newline apart, stay one slice of it.
    const extends_ =
      this.source === source && this.end + 1 === start && end - this.start <= this.maxBytes;
    if (!extends_) {
      this.close();
      this.source = source;
      this.start = start;
    }
    this.end = end;
    this.points += 1;
  }

  addText(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.source !== undefined || this.textBytes + bytes + 1 > this.maxBytes) this.close();
    this.texts.push(line);
    this.textBytes += bytes + 1;
    this.points += 1;
  }

  close(): void {
    if (this.points === 0) return;
    const bytes =
      this.source !== undefined
        ? this.source.subarray(this.start, this.end)
        : Buffer.from(this.texts.join('\n'));
    this.runs.push({ bytes, points: this.points });
    this.source = undefined;
    this.texts = [];
    this.textBytes = 0;
    this.points = 0;
  }
}

/**
 * Accepted points grouped by measurement, as line protocol ready for the store. Lines that
 * need no rewriting stay slices of the request body, so the hot path copies nothing until
 * the message is published; rewritten lines are kept as text and encoded once per run.
 */
export class LineBatch {
  private readonly groups = new Map<string, MeasurementLines>();
  private count = 0;

  constructor(private readonly maxMessageBytes = MAX_LINE_MESSAGE_BYTES) {}

  /** Points parsed from JSON, CSV or protobuf, written as line protocol. */
  static of(points: readonly Point[]): LineBatch {
    const batch = new LineBatch();
    for (const point of points) batch.addLine(point.measurement, serializePoint(point));
    return batch;
  }

  /** Points held. */
  get size(): number {
    return this.count;
  }

  /** A line that is bytes start..end of source (no newline inside), used as it is. */
  addRange(measurement: string, source: Uint8Array, start: number, end: number): void {
    this.group(measurement).addRange(source, start, end);
    this.count += 1;
  }

  addLine(measurement: string, line: string): void {
    this.group(measurement).addText(line);
    this.count += 1;
  }

  /** Bodies of at most maxMessageBytes per measurement, lines in the order they came. */
  messages(): LineMessage[] {
    const messages: LineMessage[] = [];
    for (const group of this.groups.values()) {
      group.close();
      let pieces: Uint8Array[] = [];
      let bytes = 0;
      let points = 0;
      const flush = (): void => {
        if (pieces.length === 0) return;
        const body = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes);
        messages.push({ measurement: group.measurement, body, points });
        pieces = [];
        bytes = 0;
        points = 0;
      };
      for (const run of group.runs) {
        if (bytes > 0 && bytes + 1 + run.bytes.length > this.maxMessageBytes) flush();
        if (bytes > 0) {
          pieces.push(NEWLINE);
          bytes += 1;
        }
        pieces.push(run.bytes);
        bytes += run.bytes.length;
        points += run.points;
      }
      flush();
    }
    return messages;
  }

  /** Every line with its measurement, decoded; for inspection and tests, not the hot path. */
  lines(): SerializedPoint[] {
    const lines: SerializedPoint[] = [];
    for (const { measurement, body } of this.messages()) {
      const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
      // String values may hold newlines, so lines are split the way line protocol reads them.
      forEachLine(text, Infinity, (line) => lines.push({ measurement, line }) > 0);
    }
    return lines;
  }

  private group(measurement: string): MeasurementLines {
    let group = this.groups.get(measurement);
    if (!group) {
      group = new MeasurementLines(measurement, this.maxMessageBytes);
      this.groups.set(measurement, group);
    }
    return group;
  }
}
