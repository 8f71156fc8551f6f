import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, RpcException, Transport } from '@nestjs/microservices';
import { requireEnv, uniqueName } from '@iotwins/testing';

/**
 * A stand-in for the model registry's request-reply handlers (CONTRACTS.md), served by a
 * real @nestjs/microservices NATS server on the real NATS, for specs written before the
 * registry branch is merged. It keeps versions and aliases in memory and answers with the
 * contract's shapes and problem objects. Its subjects carry a unique prefix so it never
 * answers anyone else's requests. After the merge these specs should start the real
 * model-registry app instead.
 */
export interface StoredVersion {
  version: number;
  status: 'ready' | 'archived' | 'deactivated';
  metrics: Record<string, number>;
  validationMetric?: { name: string; value: number };
  lineage: { trainingData?: unknown; codeRevision?: string; runId?: string };
  inputProfile?: { features: Record<string, { bins: number[]; counts: number[] }> };
}

interface StoredModel {
  versions: Map<number, StoredVersion>;
  aliases: Map<string, number>;
}

export interface RegistryCall {
  operation: string;
  data: Record<string, unknown>;
}

function notFound(detail: string): RpcException {
  return new RpcException({
    status: 404,
    type: 'urn:iotwins:problem:not-found',
    title: 'Not found',
    detail,
  });
}

export class RegistryResponder {
  readonly prefix = `svc.model-registry.${uniqueName('test').replace(/[^A-Za-z0-9_-]/g, '_')}`;
  readonly calls: RegistryCall[] = [];
  private readonly models = new Map<string, StoredModel>();
  private server: INestMicroservice | undefined;

  static async start(): Promise<RegistryResponder> {
    const responder = new RegistryResponder();
    await responder.listen();
    return responder;
  }

  addVersion(tenant: string, model: string, version: StoredVersion, aliases: string[] = []): void {
    const stored = this.model(tenant, model, true)!;
    stored.versions.set(version.version, version);
    for (const alias of aliases) stored.aliases.set(alias, version.version);
  }

  /** Promotes a version the way a data scientist would through the registry's REST API. */
  pointAlias(tenant: string, model: string, alias: string, version: number | null): void {
    const stored = this.model(tenant, model, true)!;
    if (version === null) stored.aliases.delete(alias);
    else stored.aliases.set(alias, version);
  }

  aliasOf(tenant: string, model: string, alias: string): number | null {
    return this.model(tenant, model, false)?.aliases.get(alias) ?? null;
  }

  callsOf(operation: string, model: string): RegistryCall[] {
    return this.calls.filter((call) => call.operation === operation && call.data.model === model);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private model(tenant: string, model: string, create: boolean): StoredModel | undefined {
    const key = `${tenant}/${model}`;
    let stored = this.models.get(key);
    if (!stored && create) {
      stored = { versions: new Map(), aliases: new Map() };
      this.models.set(key, stored);
    }
    return stored;
  }

  private render(stored: StoredModel, model: string, version: StoredVersion): unknown {
    const aliases = [...stored.aliases].filter(([, v]) => v === version.version).map(([a]) => a);
    return { model, aliases, ...version };
  }

  private versionGet(data: Record<string, unknown>): unknown {
    const { tenant, model, version, alias } = data as {
      tenant: string;
      model: string;
      version?: number;
      alias?: string;
    };
    if ((version === undefined) === (alias === undefined))
      throw new RpcException({
        status: 400,
        type: 'urn:iotwins:problem:invalid-request',
        title: 'Bad request',
        detail: 'give exactly one of version and alias',
      });
    const stored = this.model(tenant, model, false);
    if (!stored) throw notFound(`model "${model}" does not exist`);
    const number = alias !== undefined ? stored.aliases.get(alias) : version;
    if (number === undefined)
      throw notFound(`alias "${alias}" of model "${model}" points to no version`);
    const found = stored.versions.get(number);
    if (!found) throw notFound(`version ${number} of model "${model}" does not exist`);
    return this.render(stored, model, found);
  }

  private aliasSet(data: Record<string, unknown>): unknown {
    const { tenant, model, alias, version } = data as {
      tenant: string;
      model: string;
      alias: string;
      version: number | null;
    };
    const stored = this.model(tenant, model, false);
    if (!stored) throw notFound(`model "${model}" does not exist`);
    if (version === null) {
      stored.aliases.delete(alias);
      return { alias, version: null };
    }
    const found = stored.versions.get(version);
    if (!found) throw notFound(`version ${version} of model "${model}" does not exist`);
    stored.aliases.set(alias, version);
    return this.render(stored, model, found);
  }

  private versionDeactivate(data: Record<string, unknown>): unknown {
    const { tenant, model, version } = data as { tenant: string; model: string; version: number };
    const stored = this.model(tenant, model, false);
    const found = stored?.versions.get(version);
    if (!stored || !found) throw notFound(`version ${version} of model "${model}" does not exist`);
    found.status = 'deactivated';
    return this.render(stored, model, found);
  }

  private async listen(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handlers below serve this instance
    const responder = this;
    const record = (operation: string, data: Record<string, unknown>): void => {
      responder.calls.push({ operation, data });
    };

    @Controller()
    class RegistryHandlers {
      @MessagePattern(`${responder.prefix}.version.get`)
      versionGet(@Payload() data: Record<string, unknown>): unknown {
        record('version.get', data);
        return responder.versionGet(data);
      }

      @MessagePattern(`${responder.prefix}.alias.set`)
      aliasSet(@Payload() data: Record<string, unknown>): unknown {
        record('alias.set', data);
        return responder.aliasSet(data);
      }

      @MessagePattern(`${responder.prefix}.version.deactivate`)
      versionDeactivate(@Payload() data: Record<string, unknown>): unknown {
        record('version.deactivate', data);
        return responder.versionDeactivate(data);
      }
    }

    @Module({ controllers: [RegistryHandlers] })
    class RegistryResponderModule {}

    this.server = await NestFactory.createMicroservice(RegistryResponderModule, {
      transport: Transport.NATS,
      options: {
        servers: [requireEnv('NATS_URL')],
        user: 'model-registry',
        pass: requireEnv('NATS_MODEL_REGISTRY_PASSWORD'),
        queue: 'model-registry',
      },
      logger: false,
    });
    await this.server.listen();
  }
}
