import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Patch,
  Param,
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
import { RolloutService } from '../nodes/rollout.service';
import {
  updateDeploymentSchema,
  createDeploymentSchema,
  type DeploymentView,
  type RolloutNodeView,
} from './deployments.dto';
import { DeploymentsService } from './deployments.service';

@ApiTags('deployments')
@ApiQuery(TENANT_QUERY)
@Controller('v1/deployments')
export class DeploymentsController {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly rollout: RolloutService,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  @Post()
  @RequireRoles(Role.ModelsDeploy)
  @ApiOperation({
    summary:
      'Declare that an alias (or a fixed version) runs on the edge nodes a label selector matches',
  })
  @ApiBody({ schema: openApiSchema(createDeploymentSchema) })
  create(@ActingTenant() tenant: string, @Body() body: unknown): Promise<DeploymentView> {
    return this.deployments.create(tenant, parseInput(createDeploymentSchema, body, 'body'));
  }

  @Get()
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'Deployments of the tenant, a page at a time' })
  list(
    @ActingTenant() tenant: string,
    @Query() query: unknown,
  ): Promise<{ deployments: DeploymentView[]; nextCursor?: string }> {
    const parsed = parseInput(
      pageQuerySchema(this.config.MODEL_REGISTRY_LIST_MAX),
      query,
      'query',
      'invalid-query',
    );
    return this.deployments.list(tenant, parsed.cursor, parsed.limit);
  }

  @Get(':deployment')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'One deployment with its rendered manifest and its rollout per node' })
  async get(
    @ActingTenant() tenant: string,
    @Param('deployment') name: string,
  ): Promise<DeploymentView & { rollout: RolloutNodeView[] }> {
    const { deployment, view } = await this.deployments.get(tenant, name);
    return { ...view, rollout: await this.rollout.of(tenant, deployment) };
  }

  @Patch(':deployment')
  @RequireRoles(Role.ModelsDeploy)
  @ApiOperation({ summary: 'Change what runs, where and how; the manifest is re-rendered' })
  @ApiBody({ schema: openApiSchema(updateDeploymentSchema) })
  update(
    @ActingTenant() tenant: string,
    @Param('deployment') name: string,
    @Body() body: unknown,
  ): Promise<DeploymentView> {
    return this.deployments.update(tenant, name, parseInput(updateDeploymentSchema, body, 'body'));
  }

  @Delete(':deployment')
  @HttpCode(204)
  @RequireRoles(Role.ModelsDeploy)
  @ApiOperation({ summary: 'Delete a deployment' })
  async delete(@ActingTenant() tenant: string, @Param('deployment') name: string): Promise<void> {
    await this.deployments.delete(tenant, name);
  }
}
