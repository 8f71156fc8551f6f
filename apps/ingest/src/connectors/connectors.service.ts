import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException, invalidInput, problemItems } from '@iotwins/http';
import { assertSubjectToken } from '@iotwins/messaging';
import { formatRfc3339Nanoseconds, type Precision } from '@iotwins/telemetry';
import type { IngestConfig } from '../app.config';
import { IngestService } from '../telemetry/ingest.service';
import { NatsClient } from '@iotwins/messaging';
import { ConnectorSecrets } from './connector-secrets';
import type { CheckTarget, ConnectorDriver } from './connector.driver';
import {
  MappingBudgetError,
  MappingError,
  MappingInputError,
  mapDocument,
} from './connector.mapping';
import { MappingSandbox } from './sandbox/mapping-sandbox';
import {
  type CreateConnectorInput,
  type StoredConnector,
  type UpdateConnectorInput,
} from './connector.schema';
import { publicConfig } from './connector.secret-field';
import { connectorDriver, connectorTypes } from './connector.types';
import { ConnectorConflictError, ConnectorsRepository } from './connectors.repository';

const ID = /^[0-9a-f-]{36}$/;
const INVALID = 'invalid-connector';

/** Connectors as a tenant's resources: what the REST API does, without HTTP. */
@Injectable()
export class ConnectorsService {
  private readonly secrets: ConnectorSecrets;

  constructor(
    private readonly repository: ConnectorsRepository,
    private readonly ingest: IngestService,
    private readonly nats: NatsClient,
    private readonly sandbox: MappingSandbox,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {
    this.secrets = new ConnectorSecrets(config.CONNECTORS_SECRET_KEY);
  }

  async create(tenant: string, input: CreateConnectorInput): Promise<Record<string, unknown>> {
    assertSubjectToken('tenant', tenant);
    const driver = driverOrProblem(input.type);
    const config = await validConfig(driver, input.config, this.target(tenant));
    const id = randomUUID();
    const now = new Date().toISOString();
    const connector: StoredConnector = {
      id,
      tenant,
      name: input.name,
      type: input.type,
      paused: input.paused,
      config: this.secrets.sealConfig(config, tenant, id),
      createdAt: now,
      updatedAt: now,
    };
    await this.repository.create(connector);
    return this.view(connector);
  }

  async list(tenant: string): Promise<Record<string, unknown>[]> {
    const connectors = await this.repository.list(tenant);
    return Promise.all(connectors.map((connector) => this.view(connector)));
  }

  async get(tenant: string, id: string): Promise<Record<string, unknown>> {
    return this.view((await this.load(tenant, id)).connector);
  }

  /** A new configuration replaces the old whole; a new URL or pagination starts from scratch. */
  async update(
    tenant: string,
    id: string,
    input: UpdateConnectorInput,
  ): Promise<Record<string, unknown>> {
    const { connector, revision } = await this.load(tenant, id);
    const next: StoredConnector = { ...connector, updatedAt: new Date().toISOString() };
    if (input.name !== undefined) next.name = input.name;
    let moved = false;
    if (input.config !== undefined) {
      const driver = driverOrProblem(connector.type);
      const config = await validConfig(driver, input.config, this.target(tenant));
      next.config = this.secrets.sealConfig(config, tenant, id);
      const before = driver.configSchema.safeParse(connector.config);
      moved = !before.success || (driver.movesCursor?.(before.data, config) ?? false);
    }
    // The cursor goes first, so the run the new configuration starts cannot read the old one.
    if (moved) await this.repository.dropCursor(tenant, id);
    await this.save(next, revision);
    return this.view(next);
  }

  async setPaused(tenant: string, id: string, paused: boolean): Promise<Record<string, unknown>> {
    const { connector, revision } = await this.load(tenant, id);
    const next = { ...connector, paused, updatedAt: new Date().toISOString() };
    await this.save(next, revision);
    return this.view(next);
  }

  async remove(tenant: string, id: string): Promise<void> {
    const { connector } = await this.load(tenant, id);
    await this.repository.remove(tenant, id);
    const driver = connectorDriver(connector.type);
    const config = driver?.configSchema.safeParse(connector.config);
    if (driver?.cleanup && config?.success)
      await driver.cleanup({ tenant, id, config: config.data, nats: this.nats });
  }

  /** The points a sample document gives, validated as a poll would validate them. */
  async dryRun(
    tenant: string,
    mapping: string,
    precision: Precision,
    sample: unknown,
  ): Promise<Record<string, unknown>> {
    const problem = this.sandbox.problem(mapping);
    if (problem) throw invalidMapping('/mapping', problem);
    const context = this.ingest.tenantContext(tenant, undefined);
    // The sample came as JSON (within the body limit); the worker parses it again.
    const sampleText = JSON.stringify(sample ?? null);
    try {
      const mapped = await mapDocument(this.sandbox, tenant, { mapping }, sampleText, {
        precision,
        defaultTimestamp: context.receivedAt,
        limits: context.limits,
      });
      return {
        records: mapped.records,
        // The shape POST /v1/points accepts, so a sample's points can be sent as they are.
        points: mapped.points.map((point) => ({
          measurement: point.measurement,
          tags: point.tags,
          fields: Object.fromEntries(
            Object.entries(point.fields).map(([name, field]) => [
              name,
              {
                type: field.type,
                value: typeof field.value === 'bigint' ? field.value.toString() : field.value,
              },
            ]),
          ),
          time: formatRfc3339Nanoseconds(point.timestamp),
        })),
        errors: mapped.errors,
      };
    } catch (error) {
      if (error instanceof MappingError || error instanceof MappingInputError)
        throw invalidMapping('/mapping', error.message);
      if (error instanceof MappingBudgetError) throw overBudget(error);
      throw error;
    }
  }

  private target(tenant: string): CheckTarget {
    return { tenant, nats: this.nats, settings: this.config };
  }

  private async save(connector: StoredConnector, revision: number): Promise<void> {
    try {
      await this.repository.update(connector, revision);
    } catch (error) {
      if (error instanceof ConnectorConflictError)
        throw ProblemException.of(
          409,
          'connector-conflict',
          'The connector changed meanwhile; read it and retry',
        );
      throw error;
    }
  }

  private async load(tenant: string, id: string) {
    const found = ID.test(id) ? await this.repository.find(tenant, id) : undefined;
    if (!found)
      throw ProblemException.of(404, 'connector-not-found', `No connector ${id} in this tenant`);
    return found;
  }

  private async view(connector: StoredConnector): Promise<Record<string, unknown>> {
    const status = await this.repository.status(connector.tenant, connector.id);
    // countedKeys are the runner's bookkeeping, not the tenant's business.
    delete status.countedKeys;
    return {
      id: connector.id,
      name: connector.name,
      type: connector.type,
      paused: connector.paused,
      config: publicConfig(connector.config),
      status: { ...status, state: connector.paused ? 'paused' : status.state },
      createdAt: connector.createdAt,
      updatedAt: connector.updatedAt,
    };
  }
}

function driverOrProblem(type: string): ConnectorDriver {
  const driver = connectorDriver(type);
  if (driver) return driver;
  const types = connectorTypes()
    .map((known) => `"${known}"`)
    .join(', ');
  throw invalidInput(
    'connector',
    [{ pointer: '/type', detail: `expected one of ${types}` }],
    INVALID,
  );
}

/** The configuration as its driver validates it, or a 400 naming every wrong field. */
async function validConfig<C>(
  driver: ConnectorDriver<C>,
  input: unknown,
  target: CheckTarget,
): Promise<C> {
  const parsed = driver.configSchema.safeParse(input);
  const problems = parsed.success
    ? ((await driver.check?.(parsed.data, target)) ?? [])
    : problemItems(parsed.error, ['config']);
  if (!parsed.success || problems.length > 0) throw invalidInput('connector', problems, INVALID);
  return parsed.data;
}

function invalidMapping(pointer: string, detail: string): ProblemException {
  return invalidInput('dry run', [{ pointer, detail }], INVALID);
}

/**
 * A mapping over a sandbox budget: 422 (the request is well formed; this mapping on this
 * sample cannot be run within the limits), or 429 when too many of the tenant's evaluations
 * wait already.
 */
function overBudget(error: MappingBudgetError): ProblemException {
  if (error.budget === 'busy')
    return ProblemException.of(429, 'mapping-busy', error.message, {}, { 'retry-after': '1' });
  return ProblemException.of(422, 'mapping-over-budget', error.message, {
    title: 'The mapping went over its budget',
    budget: error.budget,
  });
}
