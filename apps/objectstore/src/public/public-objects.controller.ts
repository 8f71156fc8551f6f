import { Controller, Get, Head, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { isSubjectToken } from '@iotwins/messaging';
import { ObjectKey } from '../objects/object-key.param';
import { sendObject } from '../objects/object-reply';
import { ObjectsService, type ObjectRead } from '../objects/objects.service';

/**
 * Anonymous reads of public-read objects. The tenant is part of the URL because there is no
 * token to take it from. Anything not public answers 404, as if it did not exist, so the
 * route cannot be used to find out what a tenant stores.
 */
@ApiTags('public objects')
@Controller('v1/public/:tenant/:bucket')
@Public()
export class PublicObjectsController {
  constructor(private readonly objects: ObjectsService) {}

  @Head('*')
  @ApiOperation({ summary: 'Headers of a public-read object, no token needed' })
  @ApiParam({ name: 'path', description: 'The object key, slashes included' })
  async head(
    @Param('tenant') tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await sendObject(reply, await this.read(tenant, bucket, key, 'HEAD', request), 'HEAD');
  }

  @Get('*')
  @ApiOperation({ summary: 'Download a public-read object, no token needed' })
  @ApiParam({ name: 'path', description: 'The object key, slashes included' })
  async get(
    @Param('tenant') tenant: string,
    @Param('bucket') bucket: string,
    @ObjectKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await sendObject(reply, await this.read(tenant, bucket, key, 'GET', request), 'GET');
  }

  private async read(
    tenant: string,
    bucket: string,
    key: string,
    method: 'GET' | 'HEAD',
    request: FastifyRequest,
  ): Promise<ObjectRead> {
    const hidden = ProblemException.of(404, 'object-not-found', 'No public object at this address');
    if (!isSubjectToken(tenant)) throw hidden;
    try {
      return await this.objects.read(undefined, tenant, bucket, key, method, request.headers);
    } catch (error) {
      if (error instanceof ProblemException && [403, 404].includes(error.problem.status))
        throw hidden;
      throw error;
    }
  }
}
