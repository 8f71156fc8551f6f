import type { Client } from 'minio';
import { parseJsonBody } from '@iotwins/http';
import {
  CsvHeaderError,
  parseCsvPoints,
  parseJsonPoints,
  parseLineProtocol,
  type Point,
  type Precision,
  type TelemetryLimits,
} from '@iotwins/telemetry';
import type { IngestOutcome } from '../../connector.driver';
import {
  MEASUREMENT_METADATA_KEY,
  TAGS_METADATA_KEY,
  columnRole,
  rowsToPoints,
  type ColumnRole,
} from '../object-files/parquet-points';
import { S3ParquetFile } from '../object-files/parquet.io';
import type { FileImportConfig } from './file-import.config';
import { importFormat } from './import-format';
import { ImportTally, conflictIndex, type ImportReport, type RefusedRecord } from './import-report';
import { lineChunks } from './line-chunks';

/** Points per ingest call: below the batch limit, and small enough to keep memory flat. */
const MAX_CHUNK_POINTS = 10_000;

/** What an import needs from the platform. */
export interface ImportPorts {
  client: Client;
  physical: string;
  limits(): { limits: TelemetryLimits; receivedAt: bigint };
  /** Resolves once JetStream stored what it reports written. */
  store(points: readonly Point[]): Promise<IngestOutcome>;
  /** Called between chunks: keeps the event's delivery alive, stops when the run ends. */
  progress(): void;
  maxFileBytes: number;
  maxJsonBytes: number;
}

/**
 * Imports one object: reads it in chunks (ranges of row groups for Parquet, runs of lines for
 * CSV and line protocol, the whole document for JSON, which is capped at the HTTP body
 * limit), stores each chunk's valid points through ingest and tallies what was refused.
 * Chunks are cut the same way on every run, and points without a time get the object's
 * Last-Modified time, so a re-import after a crash publishes the same messages again, which
 * JetStream's duplicate window drops (and InfluxDB would overwrite identically).
 */
export async function importObject(
  config: FileImportConfig,
  bucket: string,
  key: string,
  ports: ImportPorts,
): Promise<ImportReport> {
  const tally = new ImportTally();
  const stat = await ports.client.statObject(ports.physical, key);
  const contentType = (stat.metaData as Record<string, string | undefined>)['content-type'];
  const format = importFormat(config.format, key, contentType);
  const target = { bucket, key, etag: stat.etag, size: stat.size, format };
  if (!format) {
    tally.error = `unsupported format: name the file .csv, .json, .lp or .parquet, or configure "format"`;
    return tally.report(target);
  }
  const limit = format === 'json' ? ports.maxJsonBytes : ports.maxFileBytes;
  if (stat.size > limit) {
    tally.error = `the file has ${stat.size} bytes; ${format} files are imported up to ${limit} bytes`;
    return tally.report(target);
  }
  const defaultTimestamp = BigInt(stat.lastModified.getTime()) * 1_000_000n;
  const importer = new ChunkImporter(config, ports, tally, defaultTimestamp);
  try {
    switch (format) {
      case 'csv':
        await importer.csv(key);
        break;
      case 'line-protocol':
        await importer.lineProtocol(key);
        break;
      case 'json':
        await importer.json(key);
        break;
      case 'parquet':
        await importer.parquet(key, stat.size);
        break;
    }
    await importer.drain();
  } catch (error) {
    // Problems of the file itself (not UTF-8, a bad header, not Parquet) end the import with
    // what was stored so far; S3 and JetStream outages propagate for a retry.
    await importer.drain();
    if (!(error instanceof FileFormatError)) throw error;
    tally.error = error.message;
  }
  return tally.report(target);
}

/** The file cannot be read as its format: reported, not retried. */
export class FileFormatError extends Error {}

class ChunkImporter {
  constructor(
    private readonly config: FileImportConfig,
    private readonly ports: ImportPorts,
    private readonly tally: ImportTally,
    private readonly defaultTimestamp: bigint,
  ) {}

  private chunkPoints(): number {
    return Math.min(MAX_CHUNK_POINTS, this.ports.limits().limits.maxPointsPerBatch);
  }

  private precision(fallback: Precision): Precision {
    return (this.config.precision as Precision | undefined) ?? fallback;
  }

  /** The chunk being stored while the next one is read and parsed. */
  private inflight: Promise<void> | undefined;

  /**
   * Stores a chunk's valid points while the next chunk is read: at most one chunk is in
   * flight, so memory stays at two chunks and the order of chunks is kept.
   */
  private async store(points: Point[], recordOf: (index: number) => RefusedRecord): Promise<void> {
    await this.inflight;
    const pending = this.storeNow(points, recordOf);
    // Awaited by the next store or by drain; never left to reject unobserved.
    pending.catch(() => undefined);
    this.inflight = pending;
  }

  /** Waits for the chunk in flight; its failure (S3, JetStream) propagates. */
  async drain(): Promise<void> {
    const pending = this.inflight;
    this.inflight = undefined;
    await pending;
  }

  /** Stores valid points; refusals by ingest (field types) are mapped back to their records. */
  private async storeNow(
    points: Point[],
    recordOf: (index: number) => RefusedRecord,
  ): Promise<void> {
    if (points.length > 0) {
      const outcome = await this.ports.store(points);
      this.tally.pointsStored += outcome.written;
      for (const error of outcome.errors) {
        const conflict = conflictIndex(error);
        this.tally.refuse(
          conflict ? { ...recordOf(conflict.index), detail: conflict.detail } : { detail: error },
        );
      }
      // Refusals beyond the reasons ingest lists are counted all the same.
      for (let extra = outcome.errors.length; extra < outcome.refused; extra += 1)
        this.tally.recordsRefused += 1;
    }
    this.ports.progress();
  }

  private async *lines(key: string, csvQuotes: boolean, maxLines: number) {
    const stream = await this.ports.client.getObject(this.ports.physical, key);
    try {
      yield* lineChunks(stream as AsyncIterable<Uint8Array>, maxLines, csvQuotes);
    } catch (error) {
      if (error instanceof TypeError && /encoded|decode/i.test(error.message))
        throw new FileFormatError('the file is not valid UTF-8');
      throw error;
    } finally {
      stream.destroy();
    }
  }

  async csv(key: string): Promise<void> {
    let header: string | undefined;
    const limits = this.ports.limits().limits;
    for await (const chunk of this.lines(key, true, this.chunkPoints())) {
      let text = chunk.text;
      // The first line is the header; every later chunk is parsed under it.
      let headerLines = 0;
      if (header === undefined) {
        header = chunk.text.split('\n', 1)[0]!;
        headerLines = 1;
        if (chunk.lines === 1) continue;
      } else {
        text = `${header}\n${chunk.text}`;
      }
      const rows = chunk.lines - headerLines;
      let parsed;
      try {
        parsed = parseCsvPoints(text, {
          measurement: this.config.measurement,
          precision: this.precision('ms'),
          defaultTimestamp: this.defaultTimestamp,
          limits,
        });
      } catch (error) {
        if (error instanceof CsvHeaderError)
          throw new FileFormatError(`CSV header: ${error.message}`);
        throw error;
      }
      // Line 2 of the parsed text is the chunk's first data line.
      const firstDataLine = chunk.firstLine + headerLines;
      const lineOf = (parsedLine: number) => firstDataLine + parsedLine - 2;
      this.tally.recordsRead += rows;
      for (const error of parsed.errors)
        this.tally.refuse({ line: lineOf(error.line), detail: error.detail });
      // A syntax error refuses every row of its chunk; count the rows not listed.
      const unlisted = rows - parsed.points.length - parsed.errors.length;
      if (unlisted > 0) this.tally.recordsRefused += unlisted;
      const lines = parsedLines(
        parsed.points.length,
        parsed.errors.map((error) => error.line),
        2,
      );
      await this.store(parsed.points, (index) => ({ line: lineOf(lines[index]!), detail: '' }));
    }
    if (header === undefined) throw new FileFormatError('the CSV file is empty');
  }

  async lineProtocol(key: string): Promise<void> {
    const limits = this.ports.limits().limits;
    for await (const chunk of this.lines(key, false, this.chunkPoints())) {
      const parsed = parseLineProtocol(chunk.text, {
        precision: this.precision('ns'),
        defaultTimestamp: this.defaultTimestamp,
        limits,
      });
      const records = parsed.points.length + parsed.errors.length;
      this.tally.recordsRead += records;
      for (const error of parsed.errors)
        this.tally.refuse({ line: chunk.firstLine + error.line - 1, detail: error.detail });
      const lines = pointLines(
        chunk.text,
        parsed.errors.map((error) => error.line),
      );
      await this.store(parsed.points, (index) => ({
        line: chunk.firstLine + (lines[index] ?? 1) - 1,
        detail: '',
      }));
    }
  }

  async json(key: string): Promise<void> {
    const stream = await this.ports.client.getObject(this.ports.physical, key);
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    let document: unknown;
    try {
      document = parseJsonBody(
        new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts)),
      );
    } catch (error) {
      throw new FileFormatError(`not a JSON document: ${(error as Error).message}`);
    }
    const items = (document as { points?: unknown } | null)?.points;
    if (!Array.isArray(items))
      throw new FileFormatError('expected {"points": [...]}, the body of POST /v1/points');
    const limits = this.ports.limits().limits;
    const size = this.chunkPoints();
    for (let start = 0; start < items.length; start += size) {
      // Points without a measurement take the configured one, as MQTT JSON payloads do.
      const slice = items
        .slice(start, start + size)
        .map((item: unknown) =>
          this.config.measurement &&
          typeof item === 'object' &&
          item !== null &&
          !('measurement' in item)
            ? { ...item, measurement: this.config.measurement }
            : item,
        );
      const parsed = parseJsonPoints(
        { points: slice },
        { precision: this.precision('ms'), defaultTimestamp: this.defaultTimestamp, limits },
      );
      this.tally.recordsRead += slice.length;
      // Unlike POST /v1/points (all or nothing), a file keeps its valid points.
      const bad = new Set<number>();
      for (const error of parsed.errors) {
        bad.add(error.index);
        this.tally.refuse({ index: start + error.index, detail: error.detail });
      }
      const indexes = slice.map((_, index) => index).filter((index) => !bad.has(index));
      await this.store(parsed.points, (index) => ({ index: start + indexes[index]!, detail: '' }));
    }
  }

  async parquet(key: string, size: number): Promise<void> {
    let file: S3ParquetFile;
    try {
      file = await S3ParquetFile.open(this.ports.client, this.ports.physical, key, size);
    } catch (error) {
      if (/parquet/i.test((error as Error).message))
        throw new FileFormatError(`not a Parquet file: ${(error as Error).message}`);
      throw error;
    }
    const tags = new Set(this.config.tags);
    for (const tag of parseTagList(file.keyValue(TAGS_METADATA_KEY))) tags.add(tag);
    let roles: ColumnRole[];
    try {
      roles = file.columns().map((column) => columnRole(column, tags));
    } catch (error) {
      throw new FileFormatError((error as Error).message);
    }
    const limits = this.ports.limits().limits;
    const measurement = this.config.measurement ?? file.keyValue(MEASUREMENT_METADATA_KEY);
    const step = this.chunkPoints();
    for (const group of file.rowGroups()) {
      for (let start = group.start; start < group.end; start += step) {
        const end = Math.min(group.end, start + step);
        const rows = await file.read(start, end);
        const parsed = rowsToPoints(roles, rows, start + 1, {
          measurement,
          precision: this.precision('ns'),
          defaultTimestamp: this.defaultTimestamp,
          limits,
        });
        this.tally.recordsRead += rows.length;
        for (const error of parsed.errors) this.tally.refuse(error);
        const bad = new Set(parsed.errors.map((error) => error.row));
        const rowNumbers = rows.map((_, index) => start + 1 + index).filter((row) => !bad.has(row));
        await this.store(parsed.points, (index) => ({ row: rowNumbers[index]!, detail: '' }));
      }
    }
  }
}

/** Parsed line numbers of the points of a CSV chunk: the lines not among the errors. */
function parsedLines(points: number, errorLines: number[], first: number): number[] {
  const bad = new Set(errorLines);
  const lines: number[] = [];
  for (let line = first; lines.length < points; line += 1) if (!bad.has(line)) lines.push(line);
  return lines;
}

/** Line numbers (1-based) of the points of a line-protocol chunk: non-blank, non-comment, not refused. */
function pointLines(text: string, errorLines: number[]): number[] {
  const bad = new Set(errorLines);
  const lines: number[] = [];
  text.split('\n').forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#') && !bad.has(index + 1)) lines.push(index + 1);
  });
  return lines;
}

function parseTagList(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed)
      ? parsed.filter((tag): tag is string => typeof tag === 'string')
      : [];
  } catch {
    return [];
  }
}
