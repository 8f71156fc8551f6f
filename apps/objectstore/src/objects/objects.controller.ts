import type { IncomingMessage } from 'node:http';
import {
  Body,
  Controller,
  Delete,
  Get,
  Head,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ActingTenant, CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { TENANT_QUERY } from '../access/tenant-query';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { ObjectstoreConfig } from '../app.config';
import { parseListQuery } from './list-query';
import { ObjectKey } from './object-key.param';
import { sendObject } from './object-reply';
import {
  CopiedObjectDto,
  CopyObjectDto,
  ObjectAclDto,
  ObjectAclViewDto,
  ObjectListDto,
  ObjectWrittenDto,
} from './objects.dto';
import { ObjectsService } from './objects.service';

const KEY_PARAM = {
  name: 'path',
  description: 'The object key, slashes included (metrics/2021/February/data.csv)',
};

/** Objects of the caller's tenant's buckets. Keys are the rest of the path after objects/. */
@ApiTags('objects')
@ApiQuery(TENANT_QUERY)
@Controller('v1/buckets/:bucket')
export class ObjectsController {
  constructor(
    private readonly objects: ObjectsService,
    @Inject(APP_CONFIG) private readonly config: ObjectstoreConfig,
  ) {}

  @Put('objects/*')
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({
    summary: 'Upload an object, streamed to S3 (multipart when large)',
    description:
      'The body is the object. Content-Type, Cache-Control, Content-Disposition, Content-Encoding, ' +
      'Content-Language and x-amz-meta-* headers are kept; x-iotwins-acl sets the object’s own ACL. ' +
      'The answer carries the SHA-256 of the bytes received.',
  })
  @ApiParam(KEY_PARAM)
  async put(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ObjectWrittenDto> {
    try {
      return await this.objects.put(
        caller,
        tenant,
        bucket,
        key,
        request.headers,
        request.body as IncomingMessage,
      );
    } catch (error) {
      // A refused upload's body is left unread: the connection closes after the answer, or
      // it would sit paused, half-read, until the sender gave up.
      if (!request.raw.complete) void reply.header('connection', 'close');
      throw error;
    }
  }

  // Declared before the GET so Fastify does not derive its own HEAD route from it.
  @Head('objects/*')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'Headers of an object: size, ETag, type, metadata' })
  @ApiParam(KEY_PARAM)
  async head(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const read = await this.objects.read(caller, tenant, bucket, key, 'HEAD', request.headers);
    await sendObject(reply, read, 'HEAD');
  }

  @Get('objects/*')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({
    summary: 'Download an object, streamed from S3',
    description: 'Range, If-None-Match, If-Modified-Since, If-Match and If-Unmodified-Since apply.',
  })
  @ApiParam(KEY_PARAM)
  @ApiQuery({
    name: 'redirect',
    required: false,
    enum: ['true', 'false'],
    description:
      'true: answer 307 with a short-lived presigned S3 URL instead of streaming the bytes ' +
      '(same checks; Range and conditions then apply at S3)',
  })
  async get(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
    @Query('redirect') redirect: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (redirect !== undefined && redirect !== 'true' && redirect !== 'false')
      throw ProblemException.of(400, 'invalid-query', 'redirect must be true or false');
    if (redirect === 'true') {
      const location = await this.objects.downloadUrl(caller, tenant, bucket, key);
      // No tenant bytes in this answer; nosniff anyway, the URL carries the disposition.
      await reply
        .status(307)
        .header('location', location)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send();
      return;
    }
    const read = await this.objects.read(caller, tenant, bucket, key, 'GET', request.headers);
    await sendObject(reply, read, 'GET');
  }

  @Delete('objects/*')
  @HttpCode(204)
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Delete an object' })
  @ApiParam(KEY_PARAM)
  async delete(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
  ): Promise<void> {
    await this.objects.delete(caller, tenant, bucket, key);
  }

  @Get('objects')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'List keys, by prefix, with "/" folding deeper keys into folders' })
  @ApiQuery({ name: 'prefix', required: false })
  @ApiQuery({ name: 'delimiter', required: false, enum: ['/'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  list(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @Query() query: Record<string, unknown>,
  ): Promise<ObjectListDto> {
    return this.objects.list(
      caller,
      tenant,
      bucket,
      parseListQuery(query, this.config.OBJECTSTORE_LIST_MAX_KEYS),
    );
  }

  @Post('copies')
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Copy an object server-side into this bucket (up to 5 GiB)' })
  copy(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @Body() body: CopyObjectDto,
  ): Promise<CopiedObjectDto> {
    return this.objects.copy(caller, tenant, bucket, body);
  }

  @Get('object-acls/*')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'An object’s own ACL and the ACL in effect' })
  @ApiParam(KEY_PARAM)
  getAcl(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
  ): Promise<ObjectAclViewDto> {
    return this.objects.getAcl(caller, tenant, bucket, key);
  }

  @Put('object-acls/*')
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Set an object’s own ACL, or null to follow the bucket’s' })
  @ApiParam(KEY_PARAM)
  putAcl(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
    @Body() body: ObjectAclDto,
  ): Promise<ObjectAclViewDto> {
    return this.objects.setAcl(caller, tenant, bucket, key, body.acl);
  }
}
