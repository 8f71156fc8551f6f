/**
 * The KV bucket of ingest's connectors: per connector its configuration
 * (`config.<tenant>.<id>`), status (`status.<tenant>.<id>`), read position
 * (`cursor.<tenant>.<id>`) and runner lease (`lease.<tenant>.<id>`).
 * Renaming the bucket or a key family strands existing connectors: a migration.
 */
export const CONNECTORS_KV = 'ingest_connectors';

export const ConnectorKey = {
  config: (tenant: string, id: string): string => `config.${tenant}.${id}`,
  status: (tenant: string, id: string): string => `status.${tenant}.${id}`,
  cursor: (tenant: string, id: string): string => `cursor.${tenant}.${id}`,
  lease: (tenant: string, id: string): string => `lease.${tenant}.${id}`,
  /** Watch filter of every connector's configuration. */
  allConfigs: 'config.>',
  configsOf: (tenant: string): string => `config.${tenant}.*`,
} as const;
