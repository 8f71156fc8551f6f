import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { parseInput } from '@iotwins/http';
import { createConnectorSchema, dryRunSchema, updateConnectorSchema } from './connector.schema';
import { ConnectorsService } from './connectors.service';

const TENANT_QUERY = {
  name: 'tenant',
  required: false,
  description: 'platform admins only: act for another tenant',
};

/** A tenant's connectors: declared here, run by the platform (docs/connectors.md). */
@ApiTags('connectors')
@Controller('v1/connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService) {}

  @Post()
  @HttpCode(201)
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({ summary: 'Declare a connector; it starts within a second unless paused' })
  @ApiQuery(TENANT_QUERY)
  create(@ActingTenant() tenant: string, @Body() body: unknown) {
    return this.connectors.create(tenant, parse(createConnectorSchema, body));
  }

  @Post('dry-run')
  @HttpCode(200)
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({ summary: 'The points a mapping gives for a sample document; nothing is stored' })
  @ApiQuery(TENANT_QUERY)
  dryRun(@ActingTenant() tenant: string, @Body() body: unknown) {
    const input = parse(dryRunSchema, body);
    return this.connectors.dryRun(tenant, input.mapping, input.precision, input.sample);
  }

  @Get()
  @RequireRoles(Role.TelemetryRead)
  @ApiQuery(TENANT_QUERY)
  async list(@ActingTenant() tenant: string) {
    return { connectors: await this.connectors.list(tenant) };
  }

  @Get(':id')
  @RequireRoles(Role.TelemetryRead)
  @ApiQuery(TENANT_QUERY)
  get(@ActingTenant() tenant: string, @Param('id') id: string) {
    return this.connectors.get(tenant, id);
  }

  @Patch(':id')
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({ summary: 'Rename or reconfigure (the whole config, secrets included)' })
  @ApiQuery(TENANT_QUERY)
  update(@ActingTenant() tenant: string, @Param('id') id: string, @Body() body: unknown) {
    return this.connectors.update(tenant, id, parse(updateConnectorSchema, body));
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireRoles(Role.TelemetryWrite)
  @ApiQuery(TENANT_QUERY)
  pause(@ActingTenant() tenant: string, @Param('id') id: string) {
    return this.connectors.setPaused(tenant, id, true);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireRoles(Role.TelemetryWrite)
  @ApiQuery(TENANT_QUERY)
  resume(@ActingTenant() tenant: string, @Param('id') id: string) {
    return this.connectors.setPaused(tenant, id, false);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles(Role.TelemetryWrite)
  @ApiQuery(TENANT_QUERY)
  async remove(@ActingTenant() tenant: string, @Param('id') id: string): Promise<void> {
    await this.connectors.remove(tenant, id);
  }
}

const parse = <S extends z.ZodType>(schema: S, body: unknown): z.infer<S> =>
  parseInput(schema, body, 'request body', 'invalid-connector');
