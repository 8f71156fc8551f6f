import type { IncomingMessage } from 'node:http';
import { Body, Controller, Get, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ActingTenant, CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { ModelRegistryConfig } from '../app.config';
import { openApiSchema } from '../common/openapi';
import { TENANT_QUERY } from '../common/tenant-query';
import { parseInput } from '@iotwins/http';
import { inertContentHeaders } from '@iotwins/storage';
import {
  listVersionsQuerySchema,
  updateVersionSchema,
  versionMetadataSchema,
  type VersionView,
} from './versions.dto';
import { FILE_PATH_PARAM, FilePath } from './file-path.param';
import { VersionsService } from './versions.service';

const VERSION_PARAM = {
  name: 'version',
  description: 'A version number (3) or an alias prefixed with @ (@production)',
};

@ApiTags('versions')
@ApiQuery(TENANT_QUERY)
@Controller('v1/models/:model/versions')
export class VersionsController {
  constructor(
    private readonly versions: VersionsService,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  @Post()
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({
    summary: 'Create the next version by uploading its files (streamed to object storage)',
    description:
      'multipart/form-data: first a "metadata" field holding JSON (framework, signature, ' +
      'hyperparameters, metrics, validationMetric, lineage, ...), then one or more "file" parts ' +
      'whose filename is the path inside the version. SHA-256 and size of every file are ' +
      'recorded; the same content twice is refused with 409.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        metadata: openApiSchema(versionMetadataSchema),
        file: { type: 'array', items: { type: 'string', format: 'binary' } },
      },
    },
  })
  async create(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VersionView> {
    try {
      const body = request.body as IncomingMessage | undefined;
      if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function')
        throw ProblemException.of(
          400,
          'missing-file',
          'A version is uploaded as multipart/form-data with a "metadata" field and "file" parts',
        );
      return await this.versions.create(caller, tenant, model, request.headers, body);
    } catch (error) {
      // A refused upload's body is left unread: close the connection after the answer.
      if (!request.raw.complete) void reply.header('connection', 'close');
      throw error;
    }
  }

  @Get()
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'Versions of a model, oldest first, a page at a time' })
  @ApiQuery({ name: 'status', required: false, enum: ['ready', 'archived', 'deactivated'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  list(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Query() query: unknown,
  ): Promise<{ versions: VersionView[]; nextCursor?: string }> {
    const parsed = parseInput(
      listVersionsQuerySchema(this.config.MODEL_REGISTRY_LIST_MAX),
      query,
      'query',
      'invalid-query',
    );
    return this.versions.list(tenant, model, parsed);
  }

  @Get(':version')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'One version by number or @alias' })
  @ApiParam(VERSION_PARAM)
  get(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('version') version: string,
  ): Promise<VersionView> {
    return this.versions.get(tenant, model, version);
  }

  @Patch(':version')
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({ summary: 'Change description, tags or status (the rest is immutable)' })
  @ApiParam(VERSION_PARAM)
  @ApiBody({ schema: openApiSchema(updateVersionSchema) })
  update(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('version') version: string,
    @Body() body: unknown,
  ): Promise<VersionView> {
    return this.versions.update(
      tenant,
      model,
      version,
      parseInput(updateVersionSchema, body, 'body'),
    );
  }

  @Get(':version/files/*')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({
    summary:
      'Download a file of a version, streamed; ?redirect=true answers 307 to a presigned URL',
  })
  @ApiParam(VERSION_PARAM)
  @ApiParam(FILE_PATH_PARAM)
  @ApiQuery({ name: 'redirect', required: false, enum: ['true', 'false'] })
  async download(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('version') version: string,
    @FilePath() path: string,
    @Query('redirect') redirect: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (redirect !== undefined && redirect !== 'true' && redirect !== 'false')
      throw ProblemException.of(400, 'invalid-query', 'redirect must be true or false');
    if (redirect === 'true') {
      const { url } = await this.versions.fileUrl(tenant, model, version, path);
      // No file bytes here; the presigned URL carries the attachment disposition itself.
      await reply
        .status(307)
        .header('location', url)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send();
      return;
    }
    const { file, body } = await this.versions.readFile(tenant, model, version, path);
    await reply
      .status(200)
      .header('content-type', file.contentType)
      .header('content-length', String(file.size))
      .header('x-checksum-sha256', file.sha256)
      // A model file is tenant bytes on the API's origin: never rendered as a page.
      .headers(inertContentHeaders({ filename: path }))
      .send(body);
  }

  @Get(':version/download-urls/*')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'A short-lived presigned GET URL of one file of a version' })
  @ApiParam(VERSION_PARAM)
  @ApiParam(FILE_PATH_PARAM)
  downloadUrl(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('version') version: string,
    @FilePath() path: string,
  ): Promise<{ url: string; expiresAt: string; sha256: string; size: number }> {
    return this.versions.fileUrl(tenant, model, version, path);
  }
}
