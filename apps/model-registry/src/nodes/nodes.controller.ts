import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import type { ModelRegistryConfig } from '../app.config';
import { openApiSchema } from '../common/openapi';
import { pageQuerySchema } from '../common/page-query';
import { TENANT_QUERY } from '../common/tenant-query';
import { parseInput } from '@iotwins/http';
import {
  nodeHeartbeatSchema,
  nodeStatusSchema,
  registerNodeSchema,
  updateNodeSchema,
  type NodeView,
} from './nodes.dto';
import { NodesService } from './nodes.service';

@ApiTags('nodes')
@ApiQuery(TENANT_QUERY)
@Controller('v1/nodes')
export class NodesController {
  constructor(
    private readonly nodes: NodesService,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  @Post()
  @RequireRoles(Role.ModelsDeploy)
  @ApiOperation({ summary: 'Register an edge node with its labels, hardware and runtime' })
  @ApiBody({ schema: openApiSchema(registerNodeSchema) })
  register(@ActingTenant() tenant: string, @Body() body: unknown): Promise<NodeView> {
    return this.nodes.register(tenant, parseInput(registerNodeSchema, body, 'body'));
  }

  @Get()
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'Edge nodes of the tenant with liveness and rollout reports' })
  list(
    @ActingTenant() tenant: string,
    @Query() query: unknown,
  ): Promise<{ nodes: NodeView[]; nextCursor?: string }> {
    const parsed = parseInput(
      pageQuerySchema(this.config.MODEL_REGISTRY_LIST_MAX),
      query,
      'query',
      'invalid-query',
    );
    return this.nodes.list(tenant, parsed.cursor, parsed.limit);
  }

  @Get(':node')
  @RequireRoles(Role.ModelsRead)
  get(@ActingTenant() tenant: string, @Param('node') node: string): Promise<NodeView> {
    return this.nodes.get(tenant, node);
  }

  @Patch(':node')
  @RequireRoles(Role.ModelsDeploy)
  @ApiOperation({ summary: 'Change a node’s labels, hardware or runtime facts' })
  update(
    @ActingTenant() tenant: string,
    @Param('node') node: string,
    @Body() body: unknown,
  ): Promise<NodeView> {
    return this.nodes.update(tenant, node, parseInput(updateNodeSchema, body, 'body'));
  }

  @Delete(':node')
  @HttpCode(204)
  @RequireRoles(Role.ModelsDeploy)
  async delete(@ActingTenant() tenant: string, @Param('node') node: string): Promise<void> {
    await this.nodes.delete(tenant, node);
  }

  @Post(':node/heartbeats')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'A heartbeat over REST (edge nodes may also publish on NATS)' })
  heartbeat(
    @ActingTenant() tenant: string,
    @Param('node') node: string,
    @Body() body: unknown,
  ): Promise<NodeView> {
    return this.nodes.heartbeat(tenant, node, parseInput(nodeHeartbeatSchema, body ?? {}, 'body'));
  }

  @Post(':node/status')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'A rollout status report of one deployment on this node' })
  status(
    @ActingTenant() tenant: string,
    @Param('node') node: string,
    @Body() body: unknown,
  ): Promise<NodeView> {
    return this.nodes.reportStatus(tenant, node, parseInput(nodeStatusSchema, body, 'body'));
  }
}
