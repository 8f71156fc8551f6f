import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Caller } from '@iotwins/auth';
import { ProblemException, parseInput } from '@iotwins/http';
import { ModelsEventType } from '@iotwins/messaging';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { DeploymentsRepository } from '../deployments/deployments.repository';
import { ModelEvents } from '../events/model.events';
import { ArtifactsRepository, modelArtifactPrefix } from '../versions/artifacts.repository';
import { VersionsRepository } from '../versions/versions.repository';
import { WebhooksRepository } from '../webhooks/webhooks.repository';
import { modelRefSchema, tagIndexEntries, type Tags } from './model-name';
import type { CreateModelInput, ModelListView, ModelView, UpdateModelInput } from './models.dto';
import { DuplicateModelError, ModelsRepository, type ModelDocument } from './models.repository';

@Injectable()
export class ModelsService {
  constructor(
    private readonly models: ModelsRepository,
    private readonly events: ModelEvents,
    private readonly versions: VersionsRepository,
    private readonly artifacts: ArtifactsRepository,
    private readonly deployments: DeploymentsRepository,
    private readonly webhooks: WebhooksRepository,
  ) {}

  async addFramework(tenant: string, id: string, framework: string): Promise<void> {
    await this.models.addFramework(tenant, id, framework);
  }

  /**
   * Deletes the model, its versions and their files; refused while a deployment runs it.
   * Serialised with deployments of it: the deletion first claims the model (one conditional
   * update), then looks for deployments; a deployment is inserted first, then checks for a
   * claim (DeploymentsService.create). Whatever the interleaving, one of the two sees the
   * other and answers 409, so a deployment never outlives its model's files.
   * Documents go first: from then on nothing points at the files, so if deleting them fails
   * half-way the orphan sweeper finishes the job.
   */
  async delete(tenant: string, name: string): Promise<void> {
    const model = await this.resolve(tenant, name);
    const since = new Date();
    if (!(await this.models.claimDeletion(tenant, model._id, since))) {
      if (!(await this.models.findById(tenant, model._id))) throw modelNotFound(name);
      throw ProblemException.of(
        409,
        'model-busy',
        `Model "${name}" is being deleted by another request; retry`,
      );
    }
    try {
      const deployed = await this.deployments.anyOfModel(tenant, model._id);
      if (deployed)
        throw ProblemException.of(
          409,
          'model-deployed',
          `Model "${name}" is deployed by "${deployed.name}"; delete that deployment first`,
          { deployment: deployed.name },
        );
      if (!(await this.models.delete(tenant, model._id))) throw modelNotFound(name);
    } catch (error) {
      await this.models.releaseDeletion(tenant, model._id, since).catch(() => undefined);
      throw error;
    }
    await this.versions.deleteAllOf(tenant, model._id);
    await this.webhooks.deleteAllOf(tenant, model._id);
    await this.artifacts.removePrefix(modelArtifactPrefix(tenant, model._id));
    await this.events.publish(tenant, ModelsEventType.ModelDeleted, { model: model.name });
  }

  /**
   * The tenant's model of that name, or a 404 naming it. Every route reaches a model through
   * here (REST, MLflow, NATS requests): a name no model can have under the look-up rule is a
   * 400 naming the field, never a query the store would refuse.
   */
  async resolve(tenant: string, name: string): Promise<ModelDocument> {
    parseInput(modelRefSchema, name, 'model name', 'invalid-model-name', ['model']);
    const model = await this.models.findByName(tenant, name);
    if (!model) throw modelNotFound(name);
    return model;
  }

  async create(caller: Caller, tenant: string, input: CreateModelInput): Promise<ModelView> {
    const now = new Date();
    const model: ModelDocument = {
      _id: randomUUID(),
      tenant,
      name: input.name,
      description: input.description,
      ...tagFields(input.tags),
      aliases: {},
      frameworks: [],
      createdBy: caller.subject,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.models.insert(model);
    } catch (error) {
      if (error instanceof DuplicateModelError) throw modelExists(input.name);
      throw error;
    }
    await this.events.publish(tenant, ModelsEventType.ModelCreated, {
      model: model.name,
      description: model.description,
      tags: input.tags,
    });
    return modelView(model);
  }

  async get(tenant: string, name: string): Promise<ModelView> {
    return modelView(await this.resolve(tenant, name));
  }

  async list(
    tenant: string,
    query: {
      prefix?: string;
      tag: string[];
      excludeTags?: string[];
      framework?: string;
      limit: number;
      cursor?: string;
    },
  ): Promise<ModelListView> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && after === undefined)
      throw ProblemException.of(400, 'invalid-query', 'cursor is not one this API handed out', {
        errors: [{ pointer: 'cursor', detail: 'cursor is not one this API handed out' }],
      });
    const page = await this.models.search({
      tenant,
      namePrefix: query.prefix,
      tags: query.tag,
      excludeTags: query.excludeTags,
      framework: query.framework,
      after,
      limit: query.limit,
    });
    const more = page.length > query.limit;
    const models = page.slice(0, query.limit).map(modelView);
    return more ? { models, nextCursor: encodeCursor(models.at(-1)!.name) } : { models };
  }

  async update(tenant: string, name: string, input: UpdateModelInput): Promise<ModelView> {
    const model = await this.resolve(tenant, name);
    let updated: ModelDocument | null;
    try {
      updated = await this.models.update(tenant, model._id, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.tags !== undefined ? tagFields(input.tags) : {}),
      });
    } catch (error) {
      if (error instanceof DuplicateModelError) throw modelExists(input.name ?? name);
      throw error;
    }
    if (!updated) throw modelNotFound(name);
    await this.events.publish(tenant, ModelsEventType.ModelUpdated, {
      model: updated.name,
      ...(updated.name !== name ? { previousName: name } : {}),
      description: updated.description,
      tags: tagsOf(updated),
    });
    return modelView(updated);
  }
}

export function tagFields(tags: Tags): Pick<ModelDocument, 'tags' | 'tagIndex'> {
  return {
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    tagIndex: tagIndexEntries(tags),
  };
}

export function tagsOf(document: {
  tags: { key: string; value: string }[];
}): Record<string, string> {
  return Object.fromEntries(document.tags.map((tag) => [tag.key, tag.value]));
}

export function modelView(model: ModelDocument): ModelView {
  return {
    name: model.name,
    description: model.description,
    tags: tagsOf(model),
    aliases: { ...model.aliases },
    frameworks: [...model.frameworks].sort(),
    createdBy: model.createdBy,
    createdAt: model.createdAt.toISOString(),
    updatedAt: model.updatedAt.toISOString(),
  };
}

export function modelNotFound(name: string): ProblemException {
  return ProblemException.of(404, 'model-not-found', `Model "${name}" does not exist`);
}

function modelExists(name: string): ProblemException {
  return ProblemException.of(409, 'model-exists', `Model "${name}" already exists`);
}
