import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient } from '../influx/influx.client';
import { tenantDatabase } from '../influx/influxql';
import { queryProblem } from '../query/query.service';
import { TenantQuerySlots } from '../query/tenant-query-slots';
import { TenantDatabases } from '../tenants/tenant-databases';
import { TenantReaders } from '../tenants/tenant-readers.repository';

/** The /query parameters passed on to InfluxDB; anything else (u, p, tenant) stays here. */
const FORWARDED = ['q', 'db', 'rp', 'epoch', 'pretty', 'chunked', 'chunk_size', 'params'];

const CREATE_DATABASE =
  /^\s*CREATE\s+DATABASE\s+(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))\s*;?\s*$/i;
const SHOW_DATABASES = /^\s*SHOW\s+DATABASES\s*;?\s*$/i;

export interface InfluxAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * InfluxDB's v1 /query for a tenant: the statement runs in InfluxDB as the tenant's read-only
 * user, so InfluxDB itself refuses other tenants' databases and every write statement. Names
 * are the platform's: `db` is the tenant (as for /write), InfluxDB's `iotwins_<tenant>` is
 * accepted too, and SHOW DATABASES lists the tenant's own by its tenant name.
 */
@Injectable()
export class InfluxQueryService {
  constructor(
    private readonly influx: InfluxClient,
    private readonly readers: TenantReaders,
    private readonly databases: TenantDatabases,
    private readonly slots: TenantQuerySlots,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  async query(tenant: string, parameters: Record<string, unknown>): Promise<InfluxAnswer> {
    const params = new URLSearchParams();
    for (const name of FORWARDED) {
      const value = parameters[name];
      if (typeof value === 'string') params.set(name, value);
    }
    const statement = params.get('q');
    if (statement === null || statement.trim() === '')
      throw ProblemException.of(400, 'missing-query', 'The q parameter (InfluxQL) is required', {
        error: 'missing required parameter "q"',
      });
    const db = params.get('db');
    if (db !== null) params.set('db', influxDatabase(db));

    const created = CREATE_DATABASE.exec(statement);
    if (created) {
      const name = (created[1] ?? created[2] ?? '').replace(/\\(.)/g, '$1');
      // Telegraf and the v1 clients create their database first; the tenant's own exists
      // (or is made now) and the answer is InfluxDB's success. Any other goes to InfluxDB.
      if (influxDatabase(name) === tenantDatabase(tenant)) {
        await this.databases.ensure(tenant);
        this.readers.forget(tenant);
        await this.readers.ensure(tenant);
        return json(200, { results: [{ statement_id: 0 }] });
      }
    }

    const answer = await this.slots.run(tenant, () => this.asReader(tenant, params));
    if (SHOW_DATABASES.test(statement) && answer.status === 200) return tenantNames(answer);
    return answer;
  }

  private async asReader(tenant: string, params: URLSearchParams): Promise<InfluxAnswer> {
    const timeoutMs = this.config.TIMESERIES_QUERY_TIMEOUT_MS;
    const run = async (): Promise<InfluxAnswer> => {
      let credentials;
      try {
        credentials = await this.readers.ensure(tenant);
      } catch (error) {
        // A tenant that never wrote has no database to grant on: it has nothing to read yet.
        if (/database not found/i.test((error as Error).message))
          return json(200, { results: [{ statement_id: 0 }] });
        throw error;
      }
      return this.influx.queryAs(credentials, params, timeoutMs);
    };
    try {
      let answer = await run();
      if (answer.status === 401) {
        // The secret was rotated by another replica or the user was dropped: provision again.
        this.readers.forget(tenant);
        answer = await run();
      }
      return answer;
    } catch (error) {
      const problem = queryProblem(error, timeoutMs);
      if (problem instanceof ProblemException)
        problem.problem.error ??= problem.problem.detail ?? problem.problem.title;
      throw problem;
    }
  }
}

/** A database name as a client gives it (the tenant) as InfluxDB knows it. */
function influxDatabase(name: string): string {
  return name.startsWith(tenantDatabase('')) ? name : tenantDatabase(name);
}

function json(status: number, body: unknown): InfluxAnswer {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}

/** SHOW DATABASES answers with the tenant names clients use as `db`. */
function tenantNames(answer: InfluxAnswer): InfluxAnswer {
  try {
    const parsed = JSON.parse(answer.body) as {
      results?: { series?: { values?: string[][] }[] }[];
    };
    for (const result of parsed.results ?? [])
      for (const series of result.series ?? [])
        series.values = (series.values ?? []).map(([name = '']) => [
          name.startsWith(tenantDatabase('')) ? name.slice(tenantDatabase('').length) : name,
        ]);
    return json(answer.status, parsed);
  } catch {
    return answer;
  }
}
