import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { CurrentCaller, RequireRoles, Role, assertTenantAccess, type Caller } from '@iotwins/auth';
import { RETENTION_DURATION } from '../influx/influxql';
import { TenantDatabases } from './tenant-databases';

export class RetentionDto {
  @ApiProperty({
    example: '365d',
    description: '0s keeps data forever; otherwise a number with m, h, d or w',
  })
  @IsString()
  @Matches(RETENTION_DURATION, {
    message: 'duration must be 0s or a number with m, h, d or w, e.g. 365d',
  })
  duration!: string;
}

@ApiTags('tenants')
@Controller('v1/tenants/:tenant/retention')
export class RetentionController {
  constructor(private readonly databases: TenantDatabases) {}

  @Get()
  @RequireRoles(Role.TelemetryRead)
  @ApiOperation({ summary: 'How long the tenant’s points are kept' })
  async get(
    @CurrentCaller() caller: Caller,
    @Param('tenant') tenant: string,
  ): Promise<RetentionDto> {
    assertTenantAccess(caller, tenant);
    return { duration: await this.databases.retention(tenant) };
  }

  @Put()
  @RequireRoles(Role.PlatformAdmin)
  @ApiOperation({ summary: 'Change how long the tenant’s points are kept (platform admins)' })
  async put(@Param('tenant') tenant: string, @Body() body: RetentionDto): Promise<RetentionDto> {
    await this.databases.setRetention(tenant, body.duration);
    return { duration: await this.databases.retention(tenant) };
  }
}
