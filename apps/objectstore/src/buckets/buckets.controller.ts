import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActingTenant, CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { BucketsService } from './buckets.service';
import { TENANT_QUERY } from '../access/tenant-query';
import {
  BucketAclDto,
  BucketDto,
  BucketListDto,
  CreateBucketDto,
  InlineContentDto,
} from './buckets.dto';

/** The caller's tenant's buckets; the tenant always comes from the token. */
@ApiTags('buckets')
@ApiQuery(TENANT_QUERY)
@Controller('v1/buckets')
export class BucketsController {
  constructor(private readonly buckets: BucketsService) {}

  @Post()
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Create a bucket; the caller becomes its owner' })
  create(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Body() body: CreateBucketDto,
  ): Promise<BucketDto> {
    return this.buckets.create(caller, tenant, body.name, body.acl, body.inlineContent);
  }

  @Get()
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'Buckets of the caller’s tenant' })
  async list(@ActingTenant() tenant: string): Promise<BucketListDto> {
    return { buckets: await this.buckets.list(tenant) };
  }

  @Get(':bucket')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'One bucket: owner, ACL, creation time' })
  get(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
  ): Promise<BucketDto> {
    return this.buckets.get(caller, tenant, bucket);
  }

  @Delete(':bucket')
  @HttpCode(204)
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Delete a bucket: 409 while it holds objects, unless ?force=true' })
  @ApiQuery({ name: 'force', required: false, enum: ['true', 'false'] })
  async delete(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @Query('force') force?: string,
  ): Promise<void> {
    if (force !== undefined && force !== 'true' && force !== 'false')
      throw ProblemException.of(400, 'invalid-query', 'force must be true or false');
    await this.buckets.delete(caller, tenant, bucket, force === 'true');
  }

  @Get(':bucket/acl')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'The bucket’s ACL, the default of its objects' })
  async getAcl(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
  ): Promise<BucketAclDto> {
    return { acl: (await this.buckets.get(caller, tenant, bucket)).acl };
  }

  @Put(':bucket/acl')
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Change the bucket’s ACL (owner and platform admins)' })
  async putAcl(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @Body() body: BucketAclDto,
  ): Promise<BucketAclDto> {
    return { acl: (await this.buckets.setAcl(caller, tenant, bucket, body.acl)).acl };
  }

  @Put(':bucket/inline-content')
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({
    summary: 'Serve the bucket’s objects inline as web content, or as attachments (default)',
    description:
      'Off by default: every object is served with Content-Disposition: attachment. On, objects ' +
      'are served inline, still with nosniff and a sandboxing Content-Security-Policy that ' +
      'keeps their pages in an opaque origin (owner and platform admins).',
  })
  async putInlineContent(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @Body() body: InlineContentDto,
  ): Promise<InlineContentDto> {
    const changed = await this.buckets.setInlineContent(caller, tenant, bucket, body.enabled);
    return { enabled: changed.inlineContent };
  }
}
