import type { Client } from 'minio';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import type { ParquetColumnInfo, ParquetSchemaLeaf } from './parquet-points';

/**
 * hyparquet and hyparquet-writer are ES modules only: loaded on first use (Node requires ES
 * modules since 20.19), so nothing else in ingest, nor a spec that loads its modules in Jest,
 * depends on them.
 */
const hyparquet = () => import('hyparquet');
const hyparquetWriter = () => import('hyparquet-writer');

/** Timestamps as nanoseconds (bigint), whatever unit the file stores them in. */
const NANOSECOND_PARSERS = {
  timestampFromMilliseconds: (millis: bigint) => BigInt(millis) * 1_000_000n,
  timestampFromMicroseconds: (micros: bigint) => BigInt(micros) * 1_000n,
  timestampFromNanoseconds: (nanos: bigint) => BigInt(nanos),
};

/**
 * A Parquet object read by ranges (S3 range GETs): the footer first, then one row group at a
 * time, so only one row group's columns are in memory whatever the file's size.
 */
export class S3ParquetFile {
  private constructor(
    private readonly file: AsyncBuffer,
    readonly metadata: FileMetaData,
  ) {}

  static async open(
    client: Client,
    bucket: string,
    key: string,
    size: number,
  ): Promise<S3ParquetFile> {
    const raw: AsyncBuffer = {
      byteLength: size,
      slice: async (start: number, end?: number) => {
        const stop = end ?? size;
        const stream = await client.getPartialObject(bucket, key, start, stop - start);
        const parts: Buffer[] = [];
        for await (const part of stream) parts.push(part as Buffer);
        const bytes = Buffer.concat(parts);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      },
    };
    const { cachedAsyncBuffer, parquetMetadataAsync } = await hyparquet();
    const file = cachedAsyncBuffer(raw);
    return new S3ParquetFile(file, await parquetMetadataAsync(file));
  }

  /** The top-level columns; nested ones (groups) are refused by their role. */
  columns(): ParquetColumnInfo[] {
    const [root, ...rest] = this.metadata.schema;
    const columns: ParquetColumnInfo[] = [];
    let index = 0;
    for (let child = 0; child < (root?.num_children ?? 0); child += 1) {
      const element = rest[index]!;
      columns.push({
        name: element.name,
        type: element.num_children ? undefined : element.type,
        converted_type: element.converted_type,
        logical_type: element.logical_type as ParquetColumnInfo['logical_type'],
      });
      index += 1 + descendants(rest, index);
    }
    return columns;
  }

  keyValue(key: string): string | undefined {
    return this.metadata.key_value_metadata?.find((entry) => entry.key === key)?.value;
  }

  /** Row ranges of the row groups, in order. */
  rowGroups(): { start: number; end: number }[] {
    let start = 0;
    return this.metadata.row_groups.map((group) => {
      const range = { start, end: start + Number(group.num_rows) };
      start = range.end;
      return range;
    });
  }

  async read(rowStart: number, rowEnd: number): Promise<Record<string, unknown>[]> {
    const { parquetReadObjects } = await hyparquet();
    return parquetReadObjects({
      file: this.file,
      metadata: this.metadata,
      rowStart,
      rowEnd,
      utf8: true,
      parsers: NANOSECOND_PARSERS,
    }) as Promise<Record<string, unknown>[]>;
  }
}

function descendants(elements: readonly { num_children?: number }[], index: number): number {
  let count = 0;
  for (let child = 0; child < (elements[index]?.num_children ?? 0); child += 1) {
    count += 1 + descendants(elements, index + 1 + count);
  }
  return count;
}

/** One Parquet file (snappy) of the given columns. */
export async function writeParquet(
  schema: ParquetSchemaLeaf[],
  columns: { name: string; data: unknown[] }[],
  keyValues: Record<string, string>,
): Promise<Buffer> {
  const { parquetWriteBuffer } = await hyparquetWriter();
  const buffer = parquetWriteBuffer({
    // The writer takes column arrays of the types the schema names (bigint for INT64).
    columnData: columns.map((column) => ({ name: column.name, data: column.data as never })),
    schema: [{ name: 'root', num_children: schema.length }, ...schema] as never,
    kvMetadata: Object.entries(keyValues).map(([key, value]) => ({ key, value })),
    rowGroupSize: 100_000,
    createdBy: 'iotwins-ingest',
  });
  return Buffer.from(buffer);
}
