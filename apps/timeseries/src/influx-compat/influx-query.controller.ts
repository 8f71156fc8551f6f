import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AcceptClientSecret, ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { InfluxQueryService } from './influx-query.service';

const DESCRIPTION =
  'InfluxQL (SHOW DATABASES, SHOW MEASUREMENTS, SELECT, ...) run in InfluxDB as the tenant’s ' +
  'read-only user: other tenants’ databases and write statements are refused by InfluxDB ' +
  'itself, with its own error. `db` is the tenant id. `CREATE DATABASE <own tenant>` answers ' +
  'success, as InfluxDB does. Credentials: Bearer token, Basic, `Token <id>:<secret>` or ' +
  'u/p with a Keycloak client id and secret.';

/** InfluxDB's v1 read endpoint, for Grafana's InfluxQL datasource, the influx CLI and clients. */
@ApiTags('influxdb-compatible')
@Controller('query')
@AcceptClientSecret()
@RequireRoles(Role.TelemetryRead)
export class InfluxQueryController {
  constructor(private readonly queries: InfluxQueryService) {}

  @Get()
  @ApiOperation({ summary: 'InfluxDB v1 query (GET)', description: DESCRIPTION })
  @ApiQuery({ name: 'q', required: true })
  @ApiQuery({ name: 'db', required: false, description: 'the tenant id' })
  @ApiQuery({ name: 'epoch', required: false, description: 'ns, u, ms, s, m or h' })
  async get(
    @ActingTenant() tenant: string,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.answer(reply, tenant, query);
  }

  @Post()
  @ApiOperation({
    summary: 'InfluxDB v1 query (POST, form or query string)',
    description: DESCRIPTION,
  })
  async post(
    @ActingTenant() tenant: string,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const form = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    await this.answer(reply, tenant, { ...query, ...form });
  }

  private async answer(
    reply: FastifyReply,
    tenant: string,
    parameters: Record<string, unknown>,
  ): Promise<void> {
    const answer = await this.queries.query(tenant, parameters);
    await reply.status(answer.status).type(answer.contentType).send(answer.body);
  }
}
