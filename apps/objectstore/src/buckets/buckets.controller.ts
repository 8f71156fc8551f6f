import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { BucketsService } from './buckets.service';
import { BucketAclDto, BucketDto, BucketListDto, CreateBucketDto } from './buckets.dto';

/** The caller's tenant's buckets; the tenant always comes from the token. */
@ApiTags('buckets')
@Controller('v1/buckets')
export class BucketsController {
  constructor(private readonly buckets: BucketsService) {}

  @Post()
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Create a bucket; the caller becomes its owner' })
  create(@CurrentCaller() caller: Caller, @Body() body: CreateBucketDto): Promise<BucketDto> {
    return this.buckets.create(caller, body.name, body.acl);
  }

  @Get()
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'Buckets of the caller’s tenant' })
  async list(@CurrentCaller() caller: Caller): Promise<BucketListDto> {
    return { buckets: await this.buckets.list(caller) };
  }

  @Get(':bucket')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'One bucket: owner, ACL, creation time' })
  get(@CurrentCaller() caller: Caller, @Param('bucket') bucket: string): Promise<BucketDto> {
    return this.buckets.get(caller, bucket);
  }

  @Delete(':bucket')
  @HttpCode(204)
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Delete a bucket: 409 while it holds objects, unless ?force=true' })
  @ApiQuery({ name: 'force', required: false, enum: ['true', 'false'] })
  async delete(
    @CurrentCaller() caller: Caller,
    @Param('bucket') bucket: string,
    @Query('force') force?: string,
  ): Promise<void> {
    if (force !== undefined && force !== 'true' && force !== 'false')
      throw ProblemException.of(400, 'invalid-query', 'force must be true or false');
    await this.buckets.delete(caller, bucket, force === 'true');
  }

  @Get(':bucket/acl')
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({ summary: 'The bucket’s ACL, the default of its objects' })
  async getAcl(
    @CurrentCaller() caller: Caller,
    @Param('bucket') bucket: string,
  ): Promise<BucketAclDto> {
    return { acl: (await this.buckets.get(caller, bucket)).acl };
  }

  @Put(':bucket/acl')
  @RequireRoles(Role.ObjectsWrite)
  @ApiOperation({ summary: 'Change the bucket’s ACL (owner and platform admins)' })
  async putAcl(
    @CurrentCaller() caller: Caller,
    @Param('bucket') bucket: string,
    @Body() body: BucketAclDto,
  ): Promise<BucketAclDto> {
    return { acl: (await this.buckets.setAcl(caller, bucket, body.acl)).acl };
  }
}
