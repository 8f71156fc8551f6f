import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { ModelRegistryConfig } from '../app.config';
import { AliasesService } from '../aliases/aliases.service';
import { FRAMEWORKS, type Framework } from '../models/models.dto';
import { ModelsRepository } from '../models/models.repository';
import { ModelsService, tagsOf } from '../models/models.service';
import { versionMetadataSchema } from '../versions/versions.dto';
import { VersionsRepository } from '../versions/versions.repository';
import { VersionsService } from '../versions/versions.service';
import { MlflowArtifactsRepository } from './mlflow-artifacts.repository';
import { parseMlflowFilter } from './mlflow-filter';
import { modelVersionJson, registeredModelJson, versionArtifactPath } from './mlflow.views';

type Json = Record<string, unknown>;

/** The MLflow Model Registry REST subset, translated to the registry's own use cases. */
@Injectable()
export class MlflowService {
  constructor(
    private readonly models: ModelsService,
    private readonly modelsRepository: ModelsRepository,
    private readonly versions: VersionsService,
    private readonly versionsRepository: VersionsRepository,
    private readonly aliases: AliasesService,
    private readonly artifacts: MlflowArtifactsRepository,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  async createRegisteredModel(
    caller: Caller,
    tenant: string,
    input: { name: string; tags: { key: string; value: string }[]; description?: string },
  ): Promise<Json> {
    await this.models.create(caller, tenant, {
      name: input.name,
      description: input.description ?? '',
      tags: Object.fromEntries(input.tags.map((tag) => [tag.key, tag.value])),
    });
    return this.registeredModel(tenant, input.name);
  }

  async registeredModel(tenant: string, name: string): Promise<Json> {
    return { registered_model: registeredModelJson(await this.models.resolve(tenant, name)) };
  }

  async rename(tenant: string, name: string, newName: string): Promise<Json> {
    await this.models.update(tenant, name, { name: newName });
    return this.registeredModel(tenant, newName);
  }

  /** Deletes the model, refused (409) while deployed, as DELETE /v1/models/{model}. */
  async deleteModel(tenant: string, name: string): Promise<void> {
    await this.models.delete(tenant, name);
  }

  async updateDescription(tenant: string, name: string, description: string): Promise<Json> {
    await this.models.update(tenant, name, { description });
    return this.registeredModel(tenant, name);
  }

  async setModelTag(
    tenant: string,
    name: string,
    key: string,
    value: string | undefined,
  ): Promise<Json> {
    const model = await this.models.resolve(tenant, name);
    const tags = tagsOf(model);
    if (value === undefined) delete tags[key];
    else tags[key] = value;
    await this.models.update(tenant, name, { tags });
    return {};
  }

  async searchRegisteredModels(
    tenant: string,
    query: { filter?: string; max_results?: number; page_token?: string },
  ): Promise<Json> {
    const filter = parseMlflowFilter(query.filter);
    const limit = Math.min(query.max_results ?? 100, this.config.MODEL_REGISTRY_LIST_MAX);
    if (filter.name !== undefined) {
      const model = await this.modelsRepository.findByName(tenant, filter.name);
      const matches =
        model &&
        filter.tags.every((tag) => model.tagIndex.includes(tag)) &&
        !filter.excludeTags.some((tag) => model.tagIndex.includes(tag));
      return { registered_models: matches ? [registeredModelJson(model)] : [] };
    }
    const page = await this.models.list(tenant, {
      prefix: filter.namePrefix,
      tag: filter.tags,
      excludeTags: filter.excludeTags,
      limit,
      cursor: query.page_token,
    });
    const models = await Promise.all(
      page.models.map((view) => this.models.resolve(tenant, view.name)),
    );
    return {
      registered_models: models.map(registeredModelJson),
      ...(page.nextCursor ? { next_page_token: page.nextCursor } : {}),
    };
  }

  async setAlias(tenant: string, name: string, alias: string, version: number): Promise<Json> {
    await this.aliases.set(tenant, name, alias, version, 'set through the MLflow API');
    return {};
  }

  async deleteAlias(tenant: string, name: string, alias: string): Promise<Json> {
    await this.aliases.remove(tenant, name, alias, 'removed through the MLflow API');
    return {};
  }

  async version(tenant: string, name: string, ref: string): Promise<Json> {
    const { model, version } = await this.versions.resolve(tenant, name, ref);
    return { model_version: modelVersionJson(model, version) };
  }

  async latestVersions(tenant: string, name: string): Promise<Json> {
    const model = await this.models.resolve(tenant, name);
    const highest = await this.versionsRepository.highestNumber(model._id);
    if (highest === 0) return { model_versions: [] };
    const { version } = await this.versions.resolve(tenant, name, String(highest));
    return { model_versions: [modelVersionJson(model, version)] };
  }

  /**
   * A version from files the client uploaded through the artifact proxy
   * (`mlflow-artifacts:/<path>`): they are copied under the version, with the SHA-256 and size
   * measured when they were uploaded.
   */
  async createModelVersion(
    caller: Caller,
    tenant: string,
    input: {
      name: string;
      source: string;
      run_id?: string;
      tags: { key: string; value: string }[];
      description?: string;
    },
  ): Promise<Json> {
    const path = proxyPathOf(input.source);
    const records = await this.artifacts.find(tenant, path).then(async (single) =>
      single
        ? [{ ...single, relative: path.split('/').at(-1)! }]
        : (await this.artifacts.under(tenant, path)).map((record) => ({
            ...record,
            relative: path === '' ? record.path : record.path.slice(path.length + 1),
          })),
    );
    if (records.length === 0)
      throw ProblemException.of(
        400,
        'missing-file',
        `The source ${input.source} holds no files uploaded through this server's artifact proxy`,
      );
    const tags = Object.fromEntries(input.tags.map((tag) => [tag.key, tag.value]));
    const framework = (FRAMEWORKS as readonly string[]).includes(tags.framework ?? '')
      ? (tags.framework as Framework)
      : 'other';
    const metadata = versionMetadataSchema.parse({
      framework: { name: framework, version: tags.framework_version || 'unknown' },
      description: input.description ?? '',
      tags,
      lineage: input.run_id ? { runId: input.run_id } : {},
    });
    const { model, version } = await this.versions.createFromStored(
      caller,
      tenant,
      input.name,
      metadata,
      records.map((record) => ({
        path: record.relative,
        sourceKey: record.key,
        size: record.size,
        sha256: record.sha256,
        contentType: record.contentType,
      })),
      input.source,
    );
    return { model_version: modelVersionJson(model, version) };
  }

  async updateVersionDescription(
    tenant: string,
    name: string,
    version: number,
    description: string,
  ): Promise<Json> {
    await this.versions.update(tenant, name, String(version), { description });
    return this.version(tenant, name, String(version));
  }

  async setVersionTag(
    tenant: string,
    name: string,
    number: number,
    key: string,
    value: string | undefined,
  ): Promise<Json> {
    const { version } = await this.versions.resolve(tenant, name, String(number));
    const tags = tagsOf(version);
    if (value === undefined) delete tags[key];
    else tags[key] = value;
    await this.versions.update(tenant, name, String(number), { tags });
    return {};
  }

  async searchModelVersions(
    tenant: string,
    query: { filter?: string; max_results?: number; page_token?: string },
  ): Promise<Json> {
    const filter = parseMlflowFilter(query.filter);
    if (filter.name === undefined)
      throw ProblemException.of(
        400,
        'unsupported-filter',
        "Searching model versions needs name = '<model>' in the filter",
      );
    const model = await this.modelsRepository.findByName(tenant, filter.name);
    if (!model) return { model_versions: [] };
    const limit = Math.min(query.max_results ?? 100, this.config.MODEL_REGISTRY_LIST_MAX);
    const page = await this.versions.list(tenant, model.name, { limit, cursor: query.page_token });
    const versions = [];
    for (const view of page.versions) {
      const { version } = await this.versions.resolve(tenant, model.name, String(view.version));
      if (filter.runId !== undefined && version.lineage.runId !== filter.runId) continue;
      const tags = tagsOf(version);
      if (filter.tags.some((tag) => !matchesTag(tags, tag))) continue;
      if (filter.excludeTags.some((tag) => matchesTag(tags, tag))) continue;
      versions.push(modelVersionJson(model, version));
    }
    // MLflow lists the newest first.
    versions.reverse();
    return {
      model_versions: versions,
      ...(page.nextCursor ? { next_page_token: page.nextCursor } : {}),
    };
  }

  async downloadUri(tenant: string, name: string, number: number): Promise<Json> {
    const { version } = await this.versions.resolve(tenant, name, String(number));
    return { artifact_uri: `mlflow-artifacts:/${versionArtifactPath(version)}` };
  }
}

function matchesTag(tags: Record<string, string>, pair: string): boolean {
  const at = pair.indexOf('=');
  return tags[pair.slice(0, at)] === pair.slice(at + 1);
}

/** The artifact-proxy path of a source URI: mlflow-artifacts:/p, mlflow-artifacts://host/p. */
export function proxyPathOf(source: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.*)$/.exec(source);
  if (!match)
    throw ProblemException.of(
      400,
      'unsupported-source',
      `Unsupported source "${source}": upload the files through this server's artifact proxy (mlflow-artifacts:/<path>) first`,
    );
  return match[1]!.replace(/\/+$/, '');
}
