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
import { ActingTenant, CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import type { ModelRegistryConfig } from '../app.config';
import { openApiSchema } from '../common/openapi';
import { TENANT_QUERY } from '../common/tenant-query';
import { parseInput } from '@iotwins/http';
import {
  createModelSchema,
  listModelsQuerySchema,
  updateModelSchema,
  type ModelListView,
  type ModelView,
} from './models.dto';
import { ModelsService } from './models.service';

/** The caller's tenant's registered models; the tenant always comes from the token. */
@ApiTags('models')
@ApiQuery(TENANT_QUERY)
@Controller('v1/models')
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  @Post()
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({ summary: 'Register a model (its name is unique in the tenant)' })
  @ApiBody({ schema: openApiSchema(createModelSchema) })
  create(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Body() body: unknown,
  ): Promise<ModelView> {
    return this.models.create(caller, tenant, parseInput(createModelSchema, body, 'body'));
  }

  @Get()
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({
    summary: 'List and search models by name prefix, tags and framework, a page at a time',
  })
  @ApiQuery({ name: 'prefix', required: false })
  @ApiQuery({ name: 'tag', required: false, description: 'key or key=value; repeatable' })
  @ApiQuery({ name: 'framework', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  list(@ActingTenant() tenant: string, @Query() query: unknown): Promise<ModelListView> {
    const parsed = parseInput(
      listModelsQuerySchema(this.config.MODEL_REGISTRY_LIST_MAX),
      query,
      'query',
      'invalid-query',
    );
    return this.models.list(tenant, parsed);
  }

  @Get(':model')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'One model: description, tags, aliases, frameworks' })
  get(@ActingTenant() tenant: string, @Param('model') model: string): Promise<ModelView> {
    return this.models.get(tenant, model);
  }

  @Patch(':model')
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({ summary: 'Rename a model, or change its description or tags' })
  @ApiBody({ schema: openApiSchema(updateModelSchema) })
  update(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Body() body: unknown,
  ): Promise<ModelView> {
    return this.models.update(tenant, model, parseInput(updateModelSchema, body, 'body'));
  }

  @Delete(':model')
  @HttpCode(204)
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({ summary: 'Delete a model with its versions and files (409 while deployed)' })
  async delete(@ActingTenant() tenant: string, @Param('model') model: string): Promise<void> {
    await this.models.delete(tenant, model);
  }
}
