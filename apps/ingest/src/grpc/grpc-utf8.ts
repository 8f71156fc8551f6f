import { isUtf8 } from 'node:buffer';

/**
 * What protobuf decoding hides: protobufjs turns the bytes of a string field that are not
 * UTF-8 into U+FFFD, so a line HTTP refuses was stored with a replacement character when it
 * came over gRPC (issue 19). This reads the raw WriteRequest once more, by the field numbers
 * of proto/iotwins/ingest/v1/ingest.proto, and keeps what the decoded message cannot tell.
 */
export interface RawStrings {
  /** The line_protocol field as sent, so each line is checked for UTF-8 as on /write. */
  lineProtocol?: Buffer;
  /** Points (by index in the batch) holding a string that is not UTF-8, and which one. */
  invalidPoints: Map<number, string>;
  /** A string of the request itself (idempotency_key, precision) that is not UTF-8. */
  invalidField?: string;
}

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

class Wire {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  get more(): boolean {
    return this.pos < this.end;
  }

  varint(): number {
    let value = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.pos++];
      if (byte === undefined || this.pos > this.end) throw new RangeError('truncated varint');
      value += (byte & 0x7f) * factor;
      factor *= 128;
      if ((byte & 0x80) === 0) return value;
    }
    throw new RangeError('varint too long');
  }

  /** The next field: its number, wire type and, for length-delimited ones, its bytes. */
  field(): { number: number; type: number; bytes?: Wire; raw?: Buffer } {
    const key = this.varint();
    const type = key & 7;
    const number = Math.floor(key / 8);
    switch (type) {
      case VARINT:
        this.varint();
        return { number, type };
      case FIXED64:
        this.pos += 8;
        return { number, type };
      case FIXED32:
        this.pos += 4;
        return { number, type };
      case BYTES: {
        const length = this.varint();
        const start = this.pos;
        this.pos += length;
        if (this.pos > this.end) throw new RangeError('truncated field');
        return {
          number,
          type,
          bytes: new Wire(this.buf, start, this.pos),
          raw: this.buf.subarray(start, this.pos),
        };
      }
      default:
        throw new RangeError(`unknown wire type ${type}`);
    }
  }
}

/** Reads a raw WriteRequest; a malformed one was already refused by the decoder. */
export function rawStrings(buf: Buffer): RawStrings {
  const found: RawStrings = { invalidPoints: new Map() };
  try {
    const request = new Wire(buf, 0, buf.length);
    while (request.more) {
      const { number, raw, bytes } = request.field();
      if (!raw || !bytes) continue;
      if (number === 2) found.lineProtocol = raw;
      else if ((number === 1 || number === 4) && !isUtf8(raw))
        found.invalidField = number === 1 ? 'idempotency_key' : 'precision';
      else if (number === 3) readBatch(bytes, found.invalidPoints);
    }
  } catch {
    // Decoded already by protobufjs: whatever this walk cannot read is left to its checks.
  }
  return found;
}

function readBatch(batch: Wire, invalid: Map<number, string>): void {
  let index = 0;
  while (batch.more) {
    const { number, bytes } = batch.field();
    if (number !== 1 || !bytes) continue;
    const problem = readPoint(bytes);
    if (problem) invalid.set(index, problem);
    index += 1;
  }
}

function readPoint(point: Wire): string | undefined {
  while (point.more) {
    const { number, raw, bytes } = point.field();
    if (!raw || !bytes) continue;
    if (number === 1 && !isUtf8(raw)) return 'the measurement is not valid UTF-8';
    if (number === 2 && !entryIsUtf8(bytes, true)) return 'a tag is not valid UTF-8';
    if (number === 3 && !entryIsUtf8(bytes, false))
      return 'a field key or string value is not valid UTF-8';
  }
  return undefined;
}

/** A map entry: key (1) and value (2), the value a string (tags) or a FieldValue (fields). */
function entryIsUtf8(entry: Wire, valueIsString: boolean): boolean {
  while (entry.more) {
    const { number, raw, bytes } = entry.field();
    if (!raw || !bytes) continue;
    if (number === 1 && !isUtf8(raw)) return false;
    if (number === 2 && valueIsString && !isUtf8(raw)) return false;
    if (number === 2 && !valueIsString) {
      while (bytes.more) {
        const value = bytes.field();
        // string_value = 5 in FieldValue.
        if (value.number === 5 && value.raw && !isUtf8(value.raw)) return false;
      }
    }
  }
  return true;
}
