import { Injectable } from '@nestjs/common';
import { ProblemException } from '@iotwins/http';
import { ModelsEventType } from '@iotwins/messaging';
import { DeploymentsService } from '../deployments/deployments.service';
import { ModelEvents } from '../events/model.events';
import { ALIAS_NAME } from '../models/model-name';
import { ModelsRepository } from '../models/models.repository';
import { ModelsService, modelNotFound } from '../models/models.service';
import type { VersionView } from '../versions/versions.dto';
import { VersionsService, versionView } from '../versions/versions.service';

/** Aliases as MLflow has them: a name pointing at one version, moved at will. */
@Injectable()
export class AliasesService {
  constructor(
    private readonly models: ModelsService,
    private readonly modelsRepository: ModelsRepository,
    private readonly versions: VersionsService,
    private readonly deployments: DeploymentsService,
    private readonly events: ModelEvents,
  ) {}

  /** Sets or moves an alias; deployments that follow it are re-rendered and announced. */
  async set(
    tenant: string,
    modelName: string,
    alias: string,
    number: number,
    reason?: string,
  ): Promise<VersionView> {
    assertAlias(alias);
    const model = await this.models.resolve(tenant, modelName);
    // 404 naming the version when it does not exist: an alias never points at nothing.
    const version = await this.versions.resolveIn(model, String(number));
    const before = await this.modelsRepository.setAlias(tenant, model._id, alias, number);
    if (!before) throw modelNotFound(modelName);
    const previous = before.aliases[alias] ?? null;
    const after = { ...before, aliases: { ...before.aliases, [alias]: number } };
    if (previous !== number) {
      await this.events.publish(tenant, ModelsEventType.AliasChanged, {
        model: model.name,
        alias,
        version: number,
        previousVersion: previous,
        ...(reason ? { reason } : {}),
      });
      await this.deployments.followAlias(tenant, after, alias);
    }
    return versionView(after, version);
  }

  /** Removes an alias; deployments that followed it now resolve to no version. */
  async remove(tenant: string, modelName: string, alias: string, reason?: string): Promise<void> {
    assertAlias(alias);
    const model = await this.models.resolve(tenant, modelName);
    if (model.aliases[alias] === undefined)
      throw ProblemException.of(
        404,
        'alias-not-found',
        `Model "${model.name}" has no alias "${alias}"`,
      );
    const before = await this.modelsRepository.removeAlias(tenant, model._id, alias);
    if (!before) throw modelNotFound(modelName);
    const after = { ...before, aliases: { ...before.aliases } };
    delete after.aliases[alias];
    await this.events.publish(tenant, ModelsEventType.AliasChanged, {
      model: model.name,
      alias,
      version: null,
      previousVersion: before.aliases[alias] ?? null,
      ...(reason ? { reason } : {}),
    });
    await this.deployments.followAlias(tenant, after, alias);
  }
}

function assertAlias(alias: string): void {
  if (!ALIAS_NAME.test(alias))
    throw ProblemException.of(
      400,
      'invalid-alias',
      `Alias "${alias}" must be 1 to 63 letters, digits, "_" or "-", beginning with a letter`,
    );
}
