import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './local-env';

/** The parts of a provisioned dashboard that the specs check. */
export interface GrafanaDashboard {
  uid: string;
  title: string;
  templating?: { list: GrafanaVariable[] };
  annotations?: { list: GrafanaAnnotation[] };
  panels: GrafanaPanel[];
}
export interface GrafanaDatasourceRef {
  type: string;
  uid: string;
}
export interface GrafanaTarget {
  refId: string;
  datasource?: GrafanaDatasourceRef;
  /** InfluxQL. */
  query?: string;
  /** SQL datasources (PostgreSQL). */
  rawSql?: string;
}
export interface GrafanaVariable {
  name: string;
  type: string;
  datasource?: GrafanaDatasourceRef;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
}
export interface GrafanaAnnotation {
  name: string;
  datasource: GrafanaDatasourceRef;
  target?: GrafanaTarget;
}
export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource: GrafanaDatasourceRef;
  targets: GrafanaTarget[];
  repeat?: string;
}

/** Every dashboard file under deploy/grafana/dashboards (any depth), by its path there. */
export function readGrafanaDashboards(
  dir = resolve(repoRoot, 'deploy/grafana/dashboards'),
): Map<string, GrafanaDashboard> {
  const found = new Map<string, GrafanaDashboard>();
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative))) {
      const path = join(relative, entry);
      if (statSync(join(dir, path)).isDirectory()) walk(path);
      else if (entry.endsWith('.json'))
        found.set(path, JSON.parse(readFileSync(join(dir, path), 'utf8')) as GrafanaDashboard);
    }
  };
  walk('');
  return found;
}

/** A query of a dashboard as Grafana sends it: a panel's target, an annotation, a variable. */
export interface DashboardQuery {
  /** "panel 1 (title) A", "annotation State changes", "variable monitor". */
  where: string;
  datasource: GrafanaDatasourceRef;
  text: string;
}

/** Every query a dashboard runs, with the datasource it runs on. */
export function dashboardQueries(dashboard: GrafanaDashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const variable of dashboard.templating?.list ?? [])
    if (variable.type === 'query' && variable.datasource)
      queries.push({
        where: `variable ${variable.name}`,
        datasource: variable.datasource,
        text: variable.query,
      });
  for (const annotation of dashboard.annotations?.list ?? [])
    if (annotation.target)
      queries.push({
        where: `annotation ${annotation.name}`,
        datasource: annotation.target.datasource ?? annotation.datasource,
        text: annotation.target.rawSql ?? annotation.target.query ?? '',
      });
  for (const panel of dashboard.panels)
    for (const target of panel.targets)
      queries.push({
        where: `panel ${panel.id} (${panel.title}) ${target.refId}`,
        datasource: target.datasource ?? panel.datasource,
        text: target.rawSql ?? target.query ?? '',
      });
  return queries;
}

/** A SQL string literal as Grafana's SQL datasources quote variable values. */
const sqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * A SQL datasource query with Grafana's macros and template variables filled in as Grafana
 * (11.x, PostgreSQL) fills them before sending the query: `$__timeFilter(col)` becomes
 * `col BETWEEN '<from>' AND '<to>'`, `$__timeFrom()` / `$__timeTo()` the quoted RFC 3339
 * instants of the dashboard's time range, and a multi-value or include-all variable its values, each quoted and joined
 * with commas. Throws on any macro or variable it does not know, so a dashboard that uses one
 * needs this function taught first rather than passing untested.
 */
export function expandGrafanaSql(
  sql: string,
  range: { from: Date; to: Date },
  variables: Record<string, string[]>,
): string {
  // Grafana formats the instants as RFC 3339 with sub-second digits (Go's RFC3339Nano).
  const from = sqlString(range.from.toISOString());
  const to = sqlString(range.to.toISOString());
  const expanded = sql
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_, column: string) => `${column.trim()} BETWEEN ${from} AND ${to}`,
    )
    .replace(/\$__timeFrom\(\)/g, from)
    .replace(/\$__timeTo\(\)/g, to)
    .replace(/\$\{?([A-Za-z_]\w*)\}?/g, (match: string, name: string) => {
      const values = variables[name];
      if (!values) throw new Error(`no value for ${match} in: ${sql}`);
      // An empty selection still has to be valid SQL; Grafana sends an empty quoted string.
      return values.length === 0 ? "''" : values.map(sqlString).join(',');
    });
  return expanded;
}
