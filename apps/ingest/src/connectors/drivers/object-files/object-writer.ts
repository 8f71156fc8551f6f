import type { Client } from 'minio';
import type { Point } from '@iotwins/telemetry';
import {
  MEASUREMENT_METADATA_KEY,
  TAGS_METADATA_KEY,
  columnsOf,
  pointsToColumns,
} from './parquet-points';
import { writeParquet } from './parquet.io';
import { pointsToCsv } from './points-csv';

/** The bytes of a file of one measurement's points, as Parquet or CSV. */
export async function encodePoints(
  points: readonly Point[],
  format: 'parquet' | 'csv',
  measurement: string,
): Promise<{ body: Buffer; contentType: string }> {
  const { tagKeys, fields } = columnsOf(points);
  if (format === 'csv')
    return { body: Buffer.from(pointsToCsv(points, tagKeys, fields)), contentType: 'text/csv' };
  const { schema, columns } = pointsToColumns(points, tagKeys, fields, false);
  return {
    body: await writeParquet(schema, columns, {
      [MEASUREMENT_METADATA_KEY]: measurement,
      [TAGS_METADATA_KEY]: JSON.stringify(tagKeys),
    }),
    contentType: 'application/vnd.apache.parquet',
  };
}

/** Stores a file; larger than `maxBytes` is refused, as the documented limit says. */
export async function putFile(
  client: Client,
  physical: string,
  key: string,
  file: { body: Buffer; contentType: string },
  maxBytes: number,
): Promise<void> {
  if (file.body.length > maxBytes)
    throw new Error(
      `${key} would have ${file.body.length} bytes, more than the limit of ${maxBytes}`,
    );
  await client.putObject(physical, key, file.body, file.body.length, {
    'Content-Type': file.contentType,
  });
}
