import { quoteIdentifier, quoteString } from '../influx/influxql';
import { RETENTION_POLICY } from '../tenants/tenant-databases';
import type { PointsQuery } from './points-query';

function from(database: string, measurement: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(RETENTION_POLICY)}.${quoteIdentifier(measurement)}`;
}

function where(query: Pick<PointsQuery, 'startNs' | 'endNs' | 'tags'>): string {
  const conditions = [`time >= ${query.startNs}`, `time < ${query.endNs}`];
  for (const [key, value] of Object.entries(query.tags)) {
    conditions.push(`${quoteIdentifier(key)} = ${quoteString(value)}`);
  }
  return conditions.join(' AND ');
}

function selection(query: PointsQuery): string {
  const fields = query.fields?.map(quoteIdentifier);
  if (query.aggregate === undefined) return fields?.join(', ') ?? '*';
  const argument = query.aggregate === 'percentile' ? `, ${query.percentile}` : '';
  const call = (field: string): string => `${query.aggregate!.toUpperCase()}(${field}${argument})`;
  // Aliases keep the field names in the answer instead of "mean_power".
  return fields ? fields.map((field) => `${call(field)} AS ${field}`).join(', ') : call('*');
}

/** One InfluxQL SELECT for a validated points query; every name and value is quoted. */
export function buildPointsStatement(database: string, query: PointsQuery): string {
  let statement = `SELECT ${selection(query)} FROM ${from(database, query.measurement)} WHERE ${where(query)}`;
  statement += query.every ? ` GROUP BY time(${query.every}), *` : ' GROUP BY *';
  if (query.fill) statement += ` fill(${query.fill})`;
  statement += ` ORDER BY time ${query.order.toUpperCase()} LIMIT ${query.limit}`;
  if (query.offset > 0) statement += ` OFFSET ${query.offset}`;
  return statement;
}

/** Every point of a range, oldest first, for exports (no limit: the answer is chunked). */
export function buildExportStatement(
  database: string,
  query: Pick<PointsQuery, 'measurement' | 'startNs' | 'endNs' | 'tags'>,
): string {
  return `SELECT * FROM ${from(database, query.measurement)} WHERE ${where(query)} GROUP BY * ORDER BY time ASC`;
}

/** The latest point of each series of a measurement. */
export function buildLastStatement(
  database: string,
  measurement: string,
  tags: Record<string, string>,
): string {
  const conditions = Object.entries(tags).map(
    ([key, value]) => `${quoteIdentifier(key)} = ${quoteString(value)}`,
  );
  const filter = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  // LAST(*) would report time 0 for several fields; the newest row keeps its real time.
  return `SELECT * FROM ${from(database, measurement)}${filter} GROUP BY * ORDER BY time DESC LIMIT 1`;
}

export const showMeasurements = (database: string): string =>
  `SHOW MEASUREMENTS ON ${quoteIdentifier(database)}`;
export const showTagKeys = (database: string, measurement: string): string =>
  `SHOW TAG KEYS ON ${quoteIdentifier(database)} FROM ${quoteIdentifier(measurement)}`;
export const showTagValues = (database: string, measurement: string, key: string): string =>
  `SHOW TAG VALUES ON ${quoteIdentifier(database)} FROM ${quoteIdentifier(measurement)} WITH KEY = ${quoteIdentifier(key)}`;
export const showFieldKeys = (database: string, measurement: string): string =>
  `SHOW FIELD KEYS ON ${quoteIdentifier(database)} FROM ${quoteIdentifier(measurement)}`;
