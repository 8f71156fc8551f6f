import type { ImportFormat } from './file-import.config';

/** The suffix of the import report written beside each file; such objects are never imported. */
export const REPORT_SUFFIX = '.import-report.json';

const BY_EXTENSION: Record<string, ImportFormat> = {
  csv: 'csv',
  json: 'json',
  lp: 'line-protocol',
  line: 'line-protocol',
  influx: 'line-protocol',
  parquet: 'parquet',
  pq: 'parquet',
};

const BY_CONTENT_TYPE: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/json': 'json',
  'text/plain': 'line-protocol',
  'application/vnd.apache.parquet': 'parquet',
  'application/x-parquet': 'parquet',
};

/** The format of an object: configured, else by its key's extension, else its content type. */
export function importFormat(
  configured: ImportFormat | 'auto',
  key: string,
  contentType: string | undefined,
): ImportFormat | undefined {
  if (configured !== 'auto') return configured;
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  const byExtension = extension ? BY_EXTENSION[extension] : undefined;
  if (byExtension) return byExtension;
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? BY_CONTENT_TYPE[type] : undefined;
}
