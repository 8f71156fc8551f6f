/**
 * InfluxQL quoting. Every name or value that reaches a query goes through these, so no input
 * can end a quoted token early and change what the query means.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** A retention duration as InfluxQL writes it: 0s (keep forever) or a whole number of m, h, d, w. */
export const RETENTION_DURATION = /^(0s|[1-9]\d{0,5}(m|h|d|w))$/;

export function tenantDatabase(tenant: string): string {
  return `iotwins_${tenant}`;
}
