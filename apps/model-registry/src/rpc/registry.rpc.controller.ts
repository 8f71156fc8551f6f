import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { Public } from '@iotwins/auth';
import { ProblemException, defaultProblem, parseInput } from '@iotwins/http';
import {
  ModelRegistryRequest,
  aliasSetRequestSchema,
  versionDeactivateRequestSchema,
  versionGetRequestSchema,
  type AliasRemovedReply,
  type RegistryProblem,
  type RegistryVersionReply,
} from '@iotwins/messaging';
import type { z } from 'zod';
import { AliasesService } from '../aliases/aliases.service';
import type { VersionView } from '../versions/versions.dto';
import { VersionsService } from '../versions/versions.service';

/**
 * Request-reply for the platform's other services (the retrainer) over NATS, subjects
 * svc.model-registry.*. Only services' NATS identities may publish there (tenants may not), so
 * no bearer token travels; the tenant named in each request scopes it exactly as the token's
 * tenant scopes a REST call.
 */
@Public()
@Controller()
export class RegistryRpcController {
  private readonly logger = new Logger(RegistryRpcController.name);

  constructor(
    private readonly versions: VersionsService,
    private readonly aliases: AliasesService,
  ) {}

  @MessagePattern(ModelRegistryRequest.VersionGet)
  versionGet(@Payload() data: unknown): Promise<RegistryVersionReply> {
    return this.answer(async () => {
      const request = parse(versionGetRequestSchema, data);
      const ref = request.alias !== undefined ? `@${request.alias}` : String(request.version);
      return versionReply(await this.versions.get(request.tenant, request.model, ref));
    });
  }

  @MessagePattern(ModelRegistryRequest.AliasSet)
  aliasSet(@Payload() data: unknown): Promise<RegistryVersionReply | AliasRemovedReply> {
    return this.answer(async () => {
      const request = parse(aliasSetRequestSchema, data);
      if (request.version === null) {
        await this.aliases.remove(request.tenant, request.model, request.alias, request.reason);
        return { alias: request.alias, version: null };
      }
      return versionReply(
        await this.aliases.set(
          request.tenant,
          request.model,
          request.alias,
          request.version,
          request.reason,
        ),
      );
    });
  }

  @MessagePattern(ModelRegistryRequest.VersionDeactivate)
  versionDeactivate(@Payload() data: unknown): Promise<RegistryVersionReply> {
    return this.answer(async () => {
      const request = parse(versionDeactivateRequestSchema, data);
      return versionReply(
        await this.versions.update(request.tenant, request.model, String(request.version), {
          status: 'deactivated',
          reason: request.reason,
        }),
      );
    });
  }

  /** Runs a handler; every failure goes back to the caller as a problem object. */
  private async answer<T>(handler: () => Promise<T>): Promise<T> {
    try {
      return await handler();
    } catch (error) {
      if (error instanceof ProblemException) {
        const { status, type, title, detail } = error.problem;
        throw new RpcException({ status, type, title, detail } satisfies RegistryProblem);
      }
      this.logger.error({ err: error }, 'request-reply handler failed');
      const problem = defaultProblem(503);
      throw new RpcException({
        ...problem,
        detail: 'The registry could not answer; retry',
      } satisfies RegistryProblem);
    }
  }
}

function parse<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  return parseInput(schema, data, 'request', 'invalid-request');
}

export function versionReply(view: VersionView): RegistryVersionReply {
  return {
    model: view.model,
    version: view.version,
    status: view.status,
    aliases: view.aliases,
    metrics: view.metrics,
    ...(view.validationMetric
      ? {
          validationMetric: {
            name: view.validationMetric.name,
            value: view.validationMetric.value,
          },
        }
      : {}),
    lineage: view.lineage,
    ...(view.inputProfile ? { inputProfile: view.inputProfile } : {}),
  };
}
