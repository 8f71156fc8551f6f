import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ProblemException } from '@iotwins/http';
import { ModelsEventType, type DeploymentChangedEventData } from '@iotwins/messaging';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { ModelEvents } from '../events/model.events';
import { NodeCommands } from '../nodes/node.commands';
import type { ModelDocument } from '../models/models.repository';
import { ModelsRepository } from '../models/models.repository';
import { modelNotFound } from '../models/models.service';
import { VersionsRepository } from '../versions/versions.repository';
import { versionNotFound } from '../versions/versions.service';
import type {
  CreateDeploymentInput,
  DeploymentView,
  UpdateDeploymentInput,
} from './deployments.dto';
import {
  DeploymentsRepository,
  DuplicateDeploymentError,
  type DeploymentDocument,
} from './deployments.repository';
import { parseLabelSelector, SelectorError, type LabelSelector } from './label-selector';
import { renderManifest } from './manifest.renderer';

/** How long a new deployment watches a deletion's claim on its model, and how often. */
const CLAIM_WAIT_MS = 2_000;
const CLAIM_POLL_MS = 25;

/** How often a re-render retries when another one raced it. */
const RENDER_ATTEMPTS = 5;

@Injectable()
export class DeploymentsService {
  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly models: ModelsRepository,
    private readonly versions: VersionsRepository,
    private readonly events: ModelEvents,
    private readonly commands: NodeCommands,
  ) {}

  async create(tenant: string, input: CreateDeploymentInput): Promise<DeploymentView> {
    const selector = parseSelector(input.selector);
    const model = await this.models.findByName(tenant, input.model);
    if (!model) throw modelNotFound(input.model);
    let number: number;
    if (input.alias !== undefined) {
      const aliased = model.aliases[input.alias];
      if (aliased === undefined)
        throw ProblemException.of(
          404,
          'alias-not-found',
          `Model "${model.name}" has no alias "${input.alias}"; set it before deploying it`,
        );
      number = aliased;
    } else {
      number = input.version!;
    }
    const version = await this.versions.find(tenant, model._id, number);
    if (!version) throw versionNotFound(model.name, number);
    const now = new Date();
    const deployment: DeploymentDocument = {
      _id: randomUUID(),
      tenant,
      name: input.name,
      modelId: model._id,
      ...(input.alias !== undefined ? { alias: input.alias } : { pinnedVersion: number }),
      version: number,
      selector: input.selector,
      kind: input.kind,
      ...(input.replicas !== undefined ? { replicas: input.replicas } : {}),
      image: input.image,
      env: input.env,
      resources: input.resources,
      revision: 1,
      manifest: null,
      createdAt: now,
      updatedAt: now,
    };
    deployment.manifest = this.render(deployment, model, selector, number, version.contentSha256);
    try {
      await this.deployments.insert(deployment);
    } catch (error) {
      if (error instanceof DuplicateDeploymentError)
        throw ProblemException.of(
          409,
          'deployment-exists',
          `Deployment "${input.name}" already exists`,
        );
      throw error;
    }
    // Inserted first, checked second: a deletion of the model that claimed it meanwhile, or
    // already removed it, wins, and this deployment withdraws (ModelsService.delete).
    if (!(await this.modelStaysDeployable(tenant, model._id))) {
      await this.deployments.deleteById(tenant, deployment._id);
      throw ProblemException.of(
        409,
        'model-being-deleted',
        `Model "${model.name}" is being deleted; the deployment "${input.name}" was not created`,
        { model: model.name },
      );
    }
    await this.announce(tenant, deployment, model, 'created');
    return deploymentView(deployment, model.name);
  }

  /**
   * Whether the model of a deployment just stored may keep it. A deletion's claim need not be
   * final: a deletion that saw this deployment gives its claim back at once (409 for it), so
   * the claim is watched for a moment; the model gone, or still claimed after the wait, and
   * the deployment withdraws. Any answer of true was read after the deployment was stored,
   * so a deletion claiming later finds it.
   */
  private async modelStaysDeployable(tenant: string, modelId: string): Promise<boolean> {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (;;) {
      if (await this.models.deployable(tenant, modelId, new Date())) return true;
      if (!(await this.models.findById(tenant, modelId))) return false;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
    }
  }

  async get(
    tenant: string,
    name: string,
  ): Promise<{ deployment: DeploymentDocument; view: DeploymentView }> {
    const deployment = await this.deployments.find(tenant, name);
    if (!deployment)
      throw ProblemException.of(404, 'deployment-not-found', `Deployment "${name}" does not exist`);
    const model = await this.models.findById(tenant, deployment.modelId);
    return { deployment, view: deploymentView(deployment, model?.name ?? '') };
  }

  async list(
    tenant: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ deployments: DeploymentView[]; nextCursor?: string }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && after === undefined)
      throw ProblemException.of(400, 'invalid-query', 'cursor is not one this API handed out');
    const page = await this.deployments.list(tenant, after, limit);
    const names = new Map<string, string>();
    const views: DeploymentView[] = [];
    for (const deployment of page.slice(0, limit)) {
      if (!names.has(deployment.modelId))
        names.set(
          deployment.modelId,
          (await this.models.findById(tenant, deployment.modelId))?.name ?? '',
        );
      views.push(deploymentView(deployment, names.get(deployment.modelId)!));
    }
    return page.length > limit
      ? { deployments: views, nextCursor: encodeCursor(views.at(-1)!.name) }
      : { deployments: views };
  }

  /** Changes the declaration and re-renders it; a concurrent change is a 409 to retry. */
  async update(
    tenant: string,
    name: string,
    input: UpdateDeploymentInput,
  ): Promise<DeploymentView> {
    if (input.selector !== undefined) parseSelector(input.selector);
    const { deployment } = await this.get(tenant, name);
    const model = await this.models.findById(tenant, deployment.modelId);
    if (!model) throw modelNotFound('(deleted)');
    if (input.replicas !== undefined && deployment.kind !== 'Deployment')
      throw ProblemException.of(400, 'invalid-request', 'replicas apply to kind Deployment only', {
        errors: [{ pointer: '/replicas', detail: 'replicas apply to kind Deployment only' }],
      });
    const next: DeploymentDocument = {
      ...deployment,
      ...(input.selector !== undefined ? { selector: input.selector } : {}),
      ...(input.replicas !== undefined ? { replicas: input.replicas } : {}),
      ...(input.image !== undefined ? { image: input.image } : {}),
      ...(input.env !== undefined ? { env: input.env } : {}),
      ...(input.resources !== undefined ? { resources: input.resources } : {}),
      revision: deployment.revision + 1,
    };
    if (input.alias !== undefined) {
      next.alias = input.alias;
      delete next.pinnedVersion;
    } else if (input.version !== undefined) {
      next.pinnedVersion = input.version;
      delete next.alias;
    }
    const number = next.alias !== undefined ? model.aliases[next.alias] : next.pinnedVersion;
    if (number === undefined)
      throw ProblemException.of(
        404,
        'alias-not-found',
        `Model "${model.name}" has no alias "${next.alias}"; set it before deploying it`,
      );
    const version = await this.versions.find(tenant, model._id, number);
    if (!version) throw versionNotFound(model.name, number);
    next.version = number;
    next.manifest = this.render(
      next,
      model,
      parseLabelSelector(next.selector),
      number,
      version.contentSha256,
    );
    if (!(await this.deployments.replace(next, deployment.revision)))
      throw ProblemException.of(
        409,
        'deployment-changed',
        `Deployment "${name}" changed meanwhile; retry`,
      );
    await this.announce(tenant, next, model, 'updated');
    return deploymentView(next, model.name);
  }

  async delete(tenant: string, name: string): Promise<void> {
    const { deployment } = await this.get(tenant, name);
    if (!(await this.deployments.delete(tenant, name)))
      throw ProblemException.of(404, 'deployment-not-found', `Deployment "${name}" does not exist`);
    const model = await this.models.findById(tenant, deployment.modelId);
    if (model) await this.announce(tenant, deployment, model, 'deleted');
  }

  /** Whether any deployment runs a version of the model (deleting it is then refused). */
  async modelInUse(tenant: string, modelId: string): Promise<DeploymentDocument | null> {
    return this.deployments.anyOfModel(tenant, modelId);
  }

  /**
   * Re-renders every deployment that follows the alias, after it moved or was removed, and
   * announces each. `model` carries the aliases as they are now.
   */
  async followAlias(tenant: string, model: ModelDocument, alias: string): Promise<void> {
    const following = await this.deployments.followingAlias(tenant, model._id, alias);
    for (const deployment of following) {
      let current: DeploymentDocument | null = deployment;
      for (let attempt = 0; current && attempt < RENDER_ATTEMPTS; attempt++) {
        const number = model.aliases[alias] ?? null;
        const version =
          number === null ? null : await this.versions.find(tenant, model._id, number);
        const revision = current.revision + 1;
        const manifest =
          number === null || !version
            ? null
            : this.render(
                { ...current, revision },
                model,
                parseLabelSelector(current.selector),
                number,
                version.contentSha256,
              );
        const changes = { version: version ? number : null, manifest, revision };
        if (await this.deployments.replaceRender(current, current.revision, changes)) {
          await this.announce(tenant, { ...current, ...changes }, model, 'alias-moved');
          break;
        }
        current = await this.deployments.find(tenant, current.name);
      }
    }
  }

  private render(
    deployment: DeploymentDocument,
    model: ModelDocument,
    selector: LabelSelector,
    version: number,
    sha256: string,
  ): string {
    return renderManifest({
      tenant: deployment.tenant,
      name: deployment.name,
      kind: deployment.kind,
      ...(deployment.replicas !== undefined ? { replicas: deployment.replicas } : {}),
      image: deployment.image,
      env: deployment.env,
      resources: deployment.resources,
      selector,
      model: model.name,
      version,
      ...(deployment.alias !== undefined ? { alias: deployment.alias } : {}),
      sha256,
      revision: deployment.revision,
    });
  }

  private async announce(
    tenant: string,
    deployment: DeploymentDocument,
    model: ModelDocument,
    cause: DeploymentChangedEventData['cause'],
  ): Promise<void> {
    const data: DeploymentChangedEventData = {
      deployment: deployment.name,
      model: model.name,
      version: deployment.version,
      ...(deployment.alias !== undefined ? { alias: deployment.alias } : {}),
      cause,
      revision: deployment.revision,
    };
    await this.events.publish(tenant, ModelsEventType.DeploymentChanged, data);
    if (cause !== 'deleted') this.commands.notifyDeploymentChanged(tenant, deployment, model.name);
  }
}

export function parseSelector(selector: string): LabelSelector {
  try {
    return parseLabelSelector(selector);
  } catch (error) {
    if (error instanceof SelectorError)
      throw ProblemException.of(
        400,
        'invalid-label-selector',
        `The label selector is malformed: ${error.message}`,
        { errors: [{ pointer: '/selector', detail: error.message }] },
      );
    throw error;
  }
}

export function deploymentView(deployment: DeploymentDocument, modelName: string): DeploymentView {
  return {
    name: deployment.name,
    model: modelName,
    ...(deployment.alias !== undefined ? { alias: deployment.alias } : {}),
    version: deployment.version,
    selector: deployment.selector,
    kind: deployment.kind,
    ...(deployment.replicas !== undefined ? { replicas: deployment.replicas } : {}),
    image: deployment.image,
    env: deployment.env,
    resources: deployment.resources as DeploymentView['resources'],
    revision: deployment.revision,
    manifest: deployment.manifest,
    createdAt: deployment.createdAt.toISOString(),
    updatedAt: deployment.updatedAt.toISOString(),
  };
}
