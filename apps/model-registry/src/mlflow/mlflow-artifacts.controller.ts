import type { IncomingMessage } from 'node:http';
import { Controller, Get, Inject, Put, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import { ObjectTooLargeError, inertContentHeaders } from '@iotwins/storage';
import type { ModelRegistryConfig } from '../app.config';
import { ArtifactsRepository, tenantArtifactPrefix } from '../versions/artifacts.repository';
import { filePathProblem } from '../versions/versions.dto';
import { VersionsRepository } from '../versions/versions.repository';
import { FilePath } from '../versions/file-path.param';
import { MlflowErrorFilter } from './mlflow-error.filter';
import { MlflowArtifactsRepository } from './mlflow-artifacts.repository';

const VERSION_PATH = /^model-versions\/([0-9a-f-]{36})\/([1-9][0-9]{0,9})(?:\/(.*))?$/;

interface Listed {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * The subset of MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts`) the mlflow
 * client needs to upload a model's files before registering them and to download a version:
 * PUT a file, GET a listing, GET a file. Paths live under the token's tenant; versions' files
 * appear read-only under model-versions/<model id>/<number>/.
 */
@ApiExcludeController()
@UseFilters(MlflowErrorFilter)
@Controller('api/2.0/mlflow-artifacts/artifacts')
export class MlflowArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsRepository,
    private readonly records: MlflowArtifactsRepository,
    private readonly versions: VersionsRepository,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  @Put('*')
  @RequireRoles(Role.ModelsWrite)
  async upload(
    @ActingTenant() tenant: string,
    @FilePath() path: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, never>> {
    try {
      const problem = filePathProblem(path);
      if (problem)
        throw ProblemException.of(400, 'invalid-file-path', `Artifact path "${path}" ${problem}`);
      if (VERSION_PATH.test(path) || path.startsWith('model-versions/'))
        throw ProblemException.of(
          403,
          'read-only-path',
          'model-versions/ holds registered versions and is read-only',
        );
      const key = `${tenantArtifactPrefix(tenant)}mlflow-artifacts/${path}`;
      const contentType = String(request.headers['content-type'] ?? 'application/octet-stream');
      const body = request.body as IncomingMessage | undefined;
      if (!body || typeof body.pipe !== 'function')
        throw ProblemException.of(400, 'missing-file', 'The body is the file');
      let result;
      try {
        result = await this.artifacts.upload(
          key,
          body,
          this.config.MODEL_REGISTRY_MAX_VERSION_BYTES,
          contentType,
        );
      } catch (error) {
        if (error instanceof ObjectTooLargeError)
          throw ProblemException.of(
            413,
            'artifact-too-large',
            `An artifact is at most ${error.maxBytes} bytes; nothing was stored`,
          );
        throw error;
      }
      await this.records.record({
        tenant,
        path,
        key,
        size: result.size,
        sha256: result.sha256,
        contentType,
        updatedAt: new Date(),
      });
      return {};
    } catch (error) {
      if (!request.raw.complete) void reply.header('connection', 'close');
      throw error;
    }
  }

  @Get()
  @RequireRoles(Role.ModelsRead)
  async list(
    @ActingTenant() tenant: string,
    @Query('path') rawPath: string | undefined,
  ): Promise<{ files: Listed[] }> {
    const path = (typeof rawPath === 'string' ? rawPath : '').replace(/^\/+|\/+$/g, '');
    const files = await this.filesUnder(tenant, path);
    const children = new Map<string, Listed>();
    for (const file of files) {
      const [head, ...rest] = file.relative.split('/');
      if (rest.length > 0) children.set(head!, { path: head!, is_dir: true });
      else children.set(head!, { path: head!, is_dir: false, file_size: file.size });
    }
    return { files: [...children.values()].sort((a, b) => a.path.localeCompare(b.path)) };
  }

  @Get('*')
  @RequireRoles(Role.ModelsRead)
  async download(
    @ActingTenant() tenant: string,
    @FilePath() path: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const file = await this.fileAt(tenant, path);
    await reply
      .status(200)
      .header('content-type', file.contentType)
      .header('content-length', String(file.size))
      // Tenant bytes on the API's origin (an uploaded HTML file too): never rendered as a page.
      .headers(inertContentHeaders({ filename: path }))
      .send(await this.artifacts.read(file.key));
  }

  private async filesUnder(
    tenant: string,
    path: string,
  ): Promise<{ relative: string; size: number }[]> {
    const match = VERSION_PATH.exec(path);
    if (match) {
      const version = await this.versions.find(tenant, match[1]!, Number(match[2]));
      if (!version) throw ProblemException.of(404, 'version-not-found', `No artifacts at ${path}`);
      const inner = match[3] ? `${match[3]}/` : '';
      return version.files
        .filter((file) => file.path.startsWith(inner))
        .map((file) => ({ relative: file.path.slice(inner.length), size: file.size }));
    }
    return (await this.records.under(tenant, path)).map((record) => ({
      relative: path === '' ? record.path : record.path.slice(path.length + 1),
      size: record.size,
    }));
  }

  private async fileAt(
    tenant: string,
    path: string,
  ): Promise<{ key: string; size: number; contentType: string }> {
    const match = VERSION_PATH.exec(path);
    if (match) {
      const version = await this.versions.find(tenant, match[1]!, Number(match[2]));
      const file = version?.files.find((candidate) => candidate.path === match[3]);
      if (!file) throw ProblemException.of(404, 'file-not-found', `No artifact at ${path}`);
      return file;
    }
    const record = await this.records.find(tenant, path);
    if (!record) throw ProblemException.of(404, 'file-not-found', `No artifact at ${path}`);
    return record;
  }
}
