import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActingTenant, CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { ApiQuery } from '@nestjs/swagger';
import { TENANT_QUERY } from '../access/tenant-query';
import { PresignRequestDto, PresignedUrlsDto } from './presign.dto';
import { PresignService } from './presign.service';

@ApiTags('presigned URLs')
@ApiQuery(TENANT_QUERY)
@Controller('v1/buckets/:bucket/presigned-urls')
export class PresignController {
  constructor(private readonly presigner: PresignService) {}

  @Post()
  @RequireRoles(Role.ObjectsRead)
  @ApiOperation({
    summary: 'Presign GET or PUT URLs for many keys at once, for bulk transfer straight to S3',
    description:
      'PUT needs objects:write and write access to each key, GET read access. Uploads through ' +
      'these URLs raise the same object events as uploads through the API.',
  })
  presign(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Param('bucket') bucket: string,
    @Body() body: PresignRequestDto,
  ): Promise<PresignedUrlsDto> {
    return this.presigner.presign(caller, tenant, bucket, body);
  }
}
