import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import { ModelsEventType, type VersionStatus } from '@iotwins/messaging';
import { ObjectTooLargeError } from '@iotwins/storage';
import type { ModelRegistryConfig } from '../app.config';
import { parseInput } from '@iotwins/http';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { ModelEvents } from '../events/model.events';
import { ALIAS_NAME } from '../models/model-name';
import type { ModelDocument } from '../models/models.repository';
import { ModelsService, tagFields, tagsOf } from '../models/models.service';
import { ArtifactsRepository, uploadArtifactPrefix } from './artifacts.repository';
import { readFormParts } from './multipart.reader';
import {
  filePathProblem,
  versionMetadataSchema,
  type UpdateVersionInput,
  type VersionMetadata,
  type VersionView,
} from './versions.dto';
import {
  DuplicateContentError,
  VersionNumberTakenError,
  VersionsRepository,
  type StoredFile,
  type VersionDocument,
} from './versions.repository';

/** How often a create retries when concurrent creates took the number it chose. */
const NUMBER_ATTEMPTS = 50;

export interface ResolvedVersion {
  model: ModelDocument;
  version: VersionDocument;
}

@Injectable()
export class VersionsService {
  private readonly logger = new Logger(VersionsService.name);

  constructor(
    private readonly models: ModelsService,
    private readonly versions: VersionsRepository,
    private readonly artifacts: ArtifactsRepository,
    private readonly events: ModelEvents,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  /**
   * Creates a version from a multipart upload: the metadata part is validated before any byte
   * is stored, each file is streamed to S3 under the upload's own prefix, and the version
   * document is written last. Anything that fails on the way deletes what was stored.
   */
  async create(
    caller: Caller,
    tenant: string,
    modelName: string,
    headers: IncomingHttpHeaders,
    body: Readable,
  ): Promise<VersionView> {
    const model = await this.models.resolve(tenant, modelName);
    const prefix = uploadArtifactPrefix(tenant, model._id, randomUUID());
    const stored: StoredFile[] = [];
    let metadata: VersionMetadata | undefined;
    try {
      let total = 0;
      const budget = this.config.MODEL_REGISTRY_MAX_VERSION_BYTES;
      for await (const part of readFormParts(headers, body, {
        files: this.config.MODEL_REGISTRY_MAX_FILES,
        fieldSize: 1024 * 1024,
      })) {
        if (part.kind === 'field') {
          if (part.name !== 'metadata')
            throw ProblemException.of(
              400,
              'unknown-field',
              `Unknown form field "${part.name}"; a version upload has "metadata" and "file" parts`,
            );
          if (metadata) throw ProblemException.of(400, 'invalid-metadata', 'metadata given twice');
          if (part.truncated)
            throw ProblemException.of(413, 'metadata-too-large', 'metadata is at most 1 MiB');
          metadata = parseInput(
            versionMetadataSchema,
            parseJson(part.value),
            'metadata',
            'invalid-metadata',
          );
          continue;
        }
        if (!metadata) {
          part.stream.resume();
          throw ProblemException.of(
            400,
            'metadata-first',
            'The "metadata" field must come before the first file part',
          );
        }
        if (part.name !== 'file') {
          part.stream.resume();
          throw ProblemException.of(
            400,
            'unknown-field',
            `Unknown file part "${part.name}"; files are sent as "file" parts`,
          );
        }
        const path = part.filename;
        const problem = filePathProblem(path);
        if (problem) {
          part.stream.resume();
          throw ProblemException.of(400, 'invalid-file-path', `File path "${path}" ${problem}`);
        }
        if (stored.some((file) => file.path === path)) {
          part.stream.resume();
          throw ProblemException.of(400, 'duplicate-file-path', `File "${path}" was sent twice`);
        }
        const key = prefix + path;
        const contentType = part.mimeType || 'application/octet-stream';
        const result = await this.artifacts.upload(key, part.stream, budget - total, contentType);
        total += result.size;
        stored.push({ path, key, size: result.size, sha256: result.sha256, contentType });
      }
      if (!metadata)
        throw ProblemException.of(400, 'missing-metadata', 'The "metadata" field is missing');
      if (stored.length === 0)
        throw ProblemException.of(400, 'missing-file', 'A version needs at least one "file" part');
      const version = await this.insertNumbered(caller, tenant, model, metadata, prefix, stored);
      await this.announceCreated(tenant, model, version);
      return versionView(model, version);
    } catch (error) {
      await this.discard(stored);
      if (error instanceof ObjectTooLargeError)
        throw ProblemException.of(
          413,
          'version-too-large',
          `The version's files exceed ${this.config.MODEL_REGISTRY_MAX_VERSION_BYTES} bytes; nothing was stored`,
          { maxBytes: this.config.MODEL_REGISTRY_MAX_VERSION_BYTES },
        );
      throw error;
    }
  }

  /**
   * Creates a version from files already stored (an MLflow client's uploads): each is copied
   * under a new upload prefix, so later writes to the source cannot change the version, then
   * the document is written as for an upload.
   */
  async createFromStored(
    caller: Caller,
    tenant: string,
    modelName: string,
    metadata: VersionMetadata,
    sources: (Omit<StoredFile, 'key'> & { sourceKey: string })[],
    sourceUri: string,
  ): Promise<ResolvedVersion> {
    const model = await this.models.resolve(tenant, modelName);
    if (sources.length === 0)
      throw ProblemException.of(400, 'missing-file', `The source ${sourceUri} holds no files`);
    const prefix = uploadArtifactPrefix(tenant, model._id, randomUUID());
    const stored: StoredFile[] = [];
    try {
      for (const { sourceKey, ...file } of sources) {
        const key = prefix + file.path;
        await this.artifacts.copy(sourceKey, key);
        stored.push({ ...file, key });
      }
      const version = await this.insertNumbered(caller, tenant, model, metadata, prefix, stored, {
        source: 'mlflow',
        sourceUri,
      });
      await this.announceCreated(tenant, model, version);
      return { model, version };
    } catch (error) {
      await this.discard(stored);
      throw error;
    }
  }

  private async announceCreated(
    tenant: string,
    model: ModelDocument,
    version: VersionDocument,
  ): Promise<void> {
    if (!model.frameworks.includes(version.framework.name))
      await this.models.addFramework(tenant, model._id, version.framework.name);
    await this.events.publish(tenant, ModelsEventType.VersionCreated, {
      model: model.name,
      version: version.number,
      status: version.status,
      framework: version.framework.name,
      sha256: version.contentSha256,
      size: version.size,
    });
  }

  /** Writes the document under the next free number; the unique index settles races. */
  private async insertNumbered(
    caller: Caller,
    tenant: string,
    model: ModelDocument,
    metadata: VersionMetadata,
    prefix: string,
    files: StoredFile[],
    origin: Pick<VersionDocument, 'source' | 'sourceUri'> = { source: 'upload' },
  ): Promise<VersionDocument> {
    const contentSha256 = contentDigest(files);
    const duplicate = await this.versions.findByContent(model._id, contentSha256);
    if (duplicate) throw duplicateContent(model.name, duplicate.number);
    const now = new Date();
    for (let attempt = 0; attempt < NUMBER_ATTEMPTS; attempt++) {
      const version: VersionDocument = {
        _id: randomUUID(),
        tenant,
        modelId: model._id,
        number: (await this.versions.highestNumber(model._id)) + 1,
        status: 'ready',
        description: metadata.description,
        tags: tagFields(metadata.tags).tags,
        framework: metadata.framework,
        ...(metadata.signature ? { signature: metadata.signature } : {}),
        hyperparameters: metadata.hyperparameters,
        metrics: metadata.metrics,
        ...(metadata.validationMetric ? { validationMetric: metadata.validationMetric } : {}),
        lineage: metadata.lineage,
        ...(metadata.inputProfile ? { inputProfile: metadata.inputProfile } : {}),
        artifactPrefix: prefix,
        files: [...files].sort((a, b) => a.path.localeCompare(b.path)),
        size: files.reduce((sum, file) => sum + file.size, 0),
        contentSha256,
        ...origin,
        createdBy: caller.subject,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await this.versions.insert(version);
        return version;
      } catch (error) {
        if (error instanceof VersionNumberTakenError) {
          // Spread the retries of concurrent creates so they do not collide again in step.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
          continue;
        }
        if (error instanceof DuplicateContentError) {
          const existing = await this.versions.findByContent(model._id, contentSha256);
          throw duplicateContent(model.name, existing?.number);
        }
        throw error;
      }
    }
    throw ProblemException.of(
      503,
      'version-number-contention',
      'Too many concurrent creates of this model’s versions; retry',
      {},
      { 'Retry-After': '1' },
    );
  }

  private async discard(files: StoredFile[]): Promise<void> {
    if (files.length === 0) return;
    // If this fails too, the orphan sweeper removes the files: no version points at them.
    await this.artifacts.remove(files.map((file) => file.key)).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not delete the files of a failed upload');
    });
  }

  /** A version by number or alias (`3`, `@production`), or a 404 naming what is missing. */
  async resolve(tenant: string, modelName: string, ref: string): Promise<ResolvedVersion> {
    const model = await this.models.resolve(tenant, modelName);
    return { model, version: await this.resolveIn(model, ref) };
  }

  async resolveIn(model: ModelDocument, ref: string): Promise<VersionDocument> {
    let number: number | undefined;
    if (ref.startsWith('@')) {
      const alias = ref.slice(1);
      if (!ALIAS_NAME.test(alias))
        throw ProblemException.of(400, 'invalid-alias', `"${alias}" is not an alias name`);
      number = model.aliases[alias];
      if (number === undefined)
        throw ProblemException.of(
          404,
          'alias-not-found',
          `Model "${model.name}" has no alias "${alias}"`,
        );
    } else {
      number = /^[1-9][0-9]{0,9}$/.test(ref) ? Number(ref) : undefined;
      if (number === undefined)
        throw ProblemException.of(
          400,
          'invalid-version',
          `"${ref}" is neither a version number nor @alias`,
        );
    }
    const version = await this.versions.find(model.tenant, model._id, number);
    if (!version) throw versionNotFound(model.name, number);
    return version;
  }

  async get(tenant: string, modelName: string, ref: string): Promise<VersionView> {
    const { model, version } = await this.resolve(tenant, modelName, ref);
    return versionView(model, version);
  }

  async list(
    tenant: string,
    modelName: string,
    query: { status?: VersionStatus; limit: number; cursor?: string },
  ): Promise<{ versions: VersionView[]; nextCursor?: string }> {
    const model = await this.models.resolve(tenant, modelName);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && (after === undefined || !/^\d+$/.test(after)))
      throw ProblemException.of(400, 'invalid-query', 'cursor is not one this API handed out');
    const page = await this.versions.list(tenant, model._id, {
      status: query.status,
      afterNumber: after === undefined ? undefined : Number(after),
      limit: query.limit,
    });
    const more = page.length > query.limit;
    const versions = page.slice(0, query.limit).map((version) => versionView(model, version));
    return more
      ? { versions, nextCursor: encodeCursor(String(versions.at(-1)!.version)) }
      : { versions };
  }

  /** Changes what may change; a status change is published with its reason. */
  async update(
    tenant: string,
    modelName: string,
    ref: string,
    input: UpdateVersionInput,
  ): Promise<VersionView> {
    const { model, version } = await this.resolve(tenant, modelName, ref);
    const updated = await this.versions.update(tenant, model._id, version.number, {
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.tags !== undefined ? { tags: tagFields(input.tags).tags } : {}),
      ...(input.status !== undefined
        ? { status: input.status, statusReason: input.reason ?? '' }
        : {}),
    });
    if (!updated) throw versionNotFound(model.name, version.number);
    const type =
      input.status === 'deactivated' && version.status !== 'deactivated'
        ? ModelsEventType.VersionDeactivated
        : ModelsEventType.VersionUpdated;
    await this.events.publish(tenant, type, {
      model: model.name,
      version: updated.number,
      status: updated.status,
      ...(input.reason ? { reason: input.reason } : {}),
    });
    return versionView(model, updated);
  }

  /** A file of a version, streamed from S3. */
  async readFile(
    tenant: string,
    modelName: string,
    ref: string,
    path: string,
  ): Promise<{ file: StoredFile; body: Readable }> {
    const file = await this.file(tenant, modelName, ref, path);
    return { file, body: await this.artifacts.read(file.key) };
  }

  /** A short-lived presigned GET URL of that one file. */
  async fileUrl(
    tenant: string,
    modelName: string,
    ref: string,
    path: string,
  ): Promise<{ url: string; expiresAt: string; sha256: string; size: number }> {
    const file = await this.file(tenant, modelName, ref, path);
    const expiry = this.config.MODEL_REGISTRY_DOWNLOAD_URL_EXPIRY_S;
    const url = await this.artifacts.presign(file.key, expiry, file.path);
    return {
      url,
      expiresAt: new Date(Date.now() + expiry * 1000).toISOString(),
      sha256: file.sha256,
      size: file.size,
    };
  }

  private async file(
    tenant: string,
    modelName: string,
    ref: string,
    path: string,
  ): Promise<StoredFile> {
    const { model, version } = await this.resolve(tenant, modelName, ref);
    const file = version.files.find((candidate) => candidate.path === path);
    if (!file)
      throw ProblemException.of(
        404,
        'file-not-found',
        `Version ${version.number} of model "${model.name}" has no file "${path}"`,
      );
    return file;
  }
}

/** One file: its own SHA-256. Several: SHA-256 of their sorted "<sha256>  <path>" lines. */
export function contentDigest(files: { path: string; sha256: string }[]): string {
  if (files.length === 1) return files[0]!.sha256;
  const lines = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${file.sha256}  ${file.path}\n`)
    .join('');
  return createHash('sha256').update(lines, 'utf8').digest('hex');
}

export function versionView(model: ModelDocument, version: VersionDocument): VersionView {
  return {
    model: model.name,
    version: version.number,
    status: version.status,
    ...(version.statusReason ? { statusReason: version.statusReason } : {}),
    description: version.description,
    tags: tagsOf(version),
    aliases: Object.entries(model.aliases)
      .filter(([, number]) => number === version.number)
      .map(([alias]) => alias)
      .sort(),
    framework: version.framework,
    ...(version.signature !== undefined ? { signature: version.signature } : {}),
    hyperparameters: version.hyperparameters,
    metrics: version.metrics,
    ...(version.validationMetric ? { validationMetric: version.validationMetric } : {}),
    lineage: version.lineage,
    ...(version.inputProfile ? { inputProfile: version.inputProfile } : {}),
    files: version.files.map(({ path, size, sha256, contentType }) => ({
      path,
      size,
      sha256,
      contentType,
    })),
    size: version.size,
    sha256: version.contentSha256,
    createdBy: version.createdBy,
    createdAt: version.createdAt.toISOString(),
    updatedAt: version.updatedAt.toISOString(),
  };
}

export function versionNotFound(model: string, number: number): ProblemException {
  return ProblemException.of(404, 'version-not-found', `Model "${model}" has no version ${number}`);
}

function duplicateContent(model: string, existing: number | undefined): ProblemException {
  return ProblemException.of(
    409,
    'duplicate-content',
    `Model "${model}" already has ${existing ? `version ${existing} with` : 'a version of'} exactly this content`,
    existing ? { existingVersion: existing } : {},
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw ProblemException.of(
      400,
      'invalid-metadata',
      `metadata is not valid JSON: ${(error as Error).message}`,
    );
  }
}
