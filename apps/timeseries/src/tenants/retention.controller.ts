import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { CurrentCaller, RequireRoles, Role, assertTenantAccess, type Caller } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { isSubjectToken } from '@iotwins/messaging';
import { InfluxReadiness } from '../influx/influx.client';
import { RETENTION_DURATION } from '../influx/influxql';
import { MAX_RETENTION_MINUTES, retentionMinutes } from './retention-duration';
import { TenantDatabases } from './tenant-databases';

export class RetentionDto {
  @ApiProperty({
    example: '365d',
    description: '0s keeps data forever; otherwise a number with m, h, d or w, at most 15250w',
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
  constructor(
    private readonly databases: TenantDatabases,
    private readonly influx: InfluxReadiness,
  ) {}

  @Get()
  @RequireRoles(Role.TelemetryRead)
  @ApiOperation({ summary: 'How long the tenant’s points are kept' })
  async get(
    @CurrentCaller() caller: Caller,
    @Param('tenant') tenant: string,
  ): Promise<RetentionDto> {
    assertTenantName(tenant);
    assertTenantAccess(caller, tenant);
    return { duration: await this.unlessDown(() => this.databases.retention(tenant)) };
  }

  @Put()
  @RequireRoles(Role.PlatformAdmin)
  @ApiOperation({ summary: 'Change how long the tenant’s points are kept (platform admins)' })
  async put(@Param('tenant') tenant: string, @Body() body: RetentionDto): Promise<RetentionDto> {
    assertTenantName(tenant);
    if (retentionMinutes(body.duration) > MAX_RETENTION_MINUTES) {
      throw ProblemException.of(
        400,
        'validation-failed',
        'duration is longer than InfluxDB can keep (at most 15250w, about 292 years)',
        { errors: [{ pointer: '/duration', detail: 'at most 15250w' }] },
      );
    }
    return {
      duration: await this.unlessDown(async () => {
        await this.databases.setRetention(tenant, body.duration);
        return this.databases.retention(tenant);
      }),
    };
  }

  /** Runs an InfluxDB operation; a failure while InfluxDB does not answer is a 503. */
  private async unlessDown<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const answers = await this.influx.probe().then(
        () => true,
        () => false,
      );
      if (answers) throw error;
      throw ProblemException.of(
        503,
        'influxdb-unavailable',
        'The time-series store does not answer; try again later',
        {},
        { 'Retry-After': '5' },
      );
    }
  }
}

/** A tenant names a database and NATS subjects: the same rule as every tenant name. */
function assertTenantName(tenant: string): void {
  if (!isSubjectToken(tenant))
    throw ProblemException.of(
      400,
      'invalid-tenant',
      'tenant must be one tenant name (letters, digits, _ and -, at most 128)',
    );
}
