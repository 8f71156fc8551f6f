import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { TENANT_QUERY } from '../common/tenant-query';
import { parseInput } from '@iotwins/http';
import { monitorSpecSchema } from './monitor-spec.schema';
import {
  historyQuerySchema,
  listQuerySchema,
  MONITOR_SPEC_OPENAPI,
  type MonitorView,
} from './monitors.dto';
import { MonitorsService } from './monitors.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A monitor id is a UUID; anything else names no monitor. */
function monitorId(id: string): string {
  if (!UUID.test(id))
    throw ProblemException.of(404, 'monitor-not-found', `Monitor "${id}" does not exist`);
  return id.toLowerCase();
}

/** Monitors of deployed models; the tenant always comes from the token. */
@ApiTags('monitors')
@ApiQuery(TENANT_QUERY)
@Controller('v1/monitors')
export class MonitorsController {
  constructor(private readonly monitors: MonitorsService) {}

  @Post()
  @RequireRoles(Role.MonitorsAdmin)
  @ApiOperation({ summary: 'Watch a model (alias or version); the registry must know it' })
  @ApiBody({ schema: MONITOR_SPEC_OPENAPI })
  create(@ActingTenant() tenant: string, @Body() body: unknown): Promise<MonitorView> {
    return this.monitors.create(tenant, parseInput(monitorSpecSchema, body, 'monitor'));
  }

  @Get()
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'Monitors of the tenant, optionally of one model' })
  @ApiQuery({ name: 'model', required: false })
  async list(
    @ActingTenant() tenant: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ monitors: MonitorView[] }> {
    const { model } = parseInput(listQuerySchema, query, 'query');
    return { monitors: await this.monitors.list(tenant, model) };
  }

  @Get(':id')
  @RequireRoles(Role.ModelsRead)
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'One monitor: spec, state, band and observation counts' })
  get(@ActingTenant() tenant: string, @Param('id') id: string): Promise<MonitorView> {
    return this.monitors.view(tenant, monitorId(id));
  }

  @Put(':id')
  @RequireRoles(Role.MonitorsAdmin)
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'Replace a monitor’s spec; it starts collecting again, history kept' })
  @ApiBody({ schema: MONITOR_SPEC_OPENAPI })
  replace(
    @ActingTenant() tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<MonitorView> {
    const checked = monitorId(id);
    return this.monitors.replace(tenant, checked, parseInput(monitorSpecSchema, body, 'monitor'));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles(Role.MonitorsAdmin)
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'Delete a monitor with its history' })
  async delete(@ActingTenant() tenant: string, @Param('id') id: string): Promise<void> {
    await this.monitors.delete(tenant, monitorId(id));
  }

  @Get(':id/evaluations')
  @RequireRoles(Role.ModelsRead)
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'after', required: false, description: 'window number to continue after' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOperation({ summary: 'Evaluated windows, oldest first, for plotting against the band' })
  async evaluations(
    @ActingTenant() tenant: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ evaluations: unknown[] }> {
    const { after, limit } = parseInput(historyQuerySchema, query, 'query');
    return { evaluations: await this.monitors.evaluations(tenant, monitorId(id), after, limit) };
  }

  @Get(':id/transitions')
  @RequireRoles(Role.ModelsRead)
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOperation({ summary: 'Every state change of the monitor with its reason' })
  async transitions(
    @ActingTenant() tenant: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ transitions: unknown[] }> {
    const { limit } = parseInput(historyQuerySchema, query, 'query');
    return { transitions: await this.monitors.transitions(tenant, monitorId(id), limit) };
  }

  @Get(':id/actions')
  @RequireRoles(Role.ModelsRead)
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOperation({ summary: 'Actions the monitor took (retrain requests, webhooks, deactivations)' })
  async actions(
    @ActingTenant() tenant: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ actions: unknown[] }> {
    const { limit } = parseInput(historyQuerySchema, query, 'query');
    return { actions: await this.monitors.actions(tenant, monitorId(id), limit) };
  }
}
