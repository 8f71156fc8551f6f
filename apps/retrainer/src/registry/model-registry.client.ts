import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import type { z } from 'zod';
import { serviceInboxPrefix } from '@iotwins/messaging';
import {
  RegistryOperation,
  aliasSetReplySchema,
  modelVersionSchema,
  registryProblemSchema,
  type AliasSetReply,
  type ModelVersion,
} from './model-version';

export interface ModelRegistryOptions {
  url: string;
  user: string;
  password: string;
  subjectPrefix: string;
  timeoutMs: number;
}
export const MODEL_REGISTRY_OPTIONS = Symbol('MODEL_REGISTRY_OPTIONS');

/** The registry answered with a problem (404 unknown model, 409, 400...). */
export class RegistryProblemError extends Error {
  constructor(
    readonly status: number,
    readonly type: string | undefined,
    readonly detail: string,
  ) {
    super(`model registry answered ${status}: ${detail}`);
  }
}

/** The registry did not answer in time, or NATS is unreachable. */
export class RegistryUnavailableError extends Error {}

/**
 * The one place that talks to the model registry: request-reply over @nestjs/microservices'
 * NATS transport, so the wire format is the one the registry's @MessagePattern handlers
 * speak. Every request names the tenant; the registry applies its own tenant rules.
 */
@Injectable()
export class ModelRegistryClient implements OnApplicationShutdown {
  private readonly logger = new Logger(ModelRegistryClient.name);
  private readonly client: ClientProxy;

  constructor(@Inject(MODEL_REGISTRY_OPTIONS) private readonly options: ModelRegistryOptions) {
    this.client = ClientProxyFactory.create({
      transport: Transport.NATS,
      options: {
        servers: [options.url],
        user: options.user,
        pass: options.password,
        name: 'retrainer-registry-client',
        // Replies come back on the login's own inbox prefix, the only one its permissions allow.
        inboxPrefix: serviceInboxPrefix(options.user),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
      },
    });
  }

  getVersion(
    tenant: string,
    model: string,
    ref: { version: number } | { alias: string },
  ): Promise<ModelVersion> {
    return this.request(
      RegistryOperation.VersionGet,
      { tenant, model, ...ref },
      modelVersionSchema,
    );
  }

  setAlias(
    tenant: string,
    model: string,
    alias: string,
    version: number | null,
    reason: string,
  ): Promise<AliasSetReply> {
    return this.request(
      RegistryOperation.AliasSet,
      { tenant, model, alias, version, reason },
      aliasSetReplySchema,
    );
  }

  deactivateVersion(
    tenant: string,
    model: string,
    version: number,
    reason: string,
  ): Promise<ModelVersion> {
    return this.request(
      RegistryOperation.VersionDeactivate,
      { tenant, model, version, reason },
      modelVersionSchema,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  private async request<T>(operation: string, data: object, reply: z.ZodType<T>): Promise<T> {
    const pattern = `${this.options.subjectPrefix}.${operation}`;
    let answer: unknown;
    try {
      await this.client.connect();
      // The transport has no deadline of its own: without one a missing registry hangs.
      answer = await firstValueFrom(
        this.client.send<unknown>(pattern, data).pipe(timeout(this.options.timeoutMs)),
      );
    } catch (error) {
      const problem = registryProblemSchema.safeParse(error);
      if (problem.success) {
        throw new RegistryProblemError(
          problem.data.status,
          problem.data.type,
          problem.data.detail ?? problem.data.title ?? 'no detail',
        );
      }
      const message = (error as Error)?.message ?? String(error);
      this.logger.warn({ pattern, err: message }, 'model registry request failed');
      throw new RegistryUnavailableError(`model registry did not answer ${pattern}: ${message}`);
    }
    const parsed = reply.safeParse(answer);
    if (!parsed.success) {
      throw new RegistryUnavailableError(
        `model registry answered ${pattern} with an unexpected shape: ${parsed.error.issues
          .map((issue) => `${issue.path.join('.')} ${issue.message}`)
          .join('; ')}`,
      );
    }
    return parsed.data;
  }
}
