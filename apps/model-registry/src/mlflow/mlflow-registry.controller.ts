import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  Query,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ActingTenant, CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { parseInput } from '@iotwins/http';
import { MlflowErrorFilter, notImplemented } from './mlflow-error.filter';
import {
  aliasSchema,
  createModelVersionSchema,
  createRegisteredModelSchema,
  latestVersionsSchema,
  modelTagKeySchema,
  modelTagSchema,
  nameOnlySchema,
  renameSchema,
  searchSchema,
  setAliasSchema,
  updateModelVersionSchema,
  updateRegisteredModelSchema,
  versionRefSchema,
  versionTagKeySchema,
  versionTagSchema,
} from './mlflow.dto';
import { MlflowService } from './mlflow.service';

type Json = Record<string, unknown>;

/**
 * The MLflow Model Registry REST API subset (docs/model-registry.md), so the mlflow client
 * works with MLFLOW_TRACKING_URI pointing here and MLFLOW_TRACKING_TOKEN a Keycloak token.
 * MLflow's own wire format and error codes; left out of the OpenAPI document (MLflow's is the
 * reference).
 */
@ApiExcludeController()
@UseFilters(MlflowErrorFilter)
@Controller('api/2.0/mlflow')
export class MlflowRegistryController {
  constructor(private readonly mlflow: MlflowService) {}

  @Post('registered-models/create')
  @HttpCode(200)
  @RequireRoles(Role.ModelsWrite)
  createModel(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Body() body: unknown,
  ): Promise<Json> {
    return this.mlflow.createRegisteredModel(
      caller,
      tenant,
      parseInput(createRegisteredModelSchema, body, 'body'),
    );
  }

  @Get('registered-models/get')
  @RequireRoles(Role.ModelsRead)
  getModel(@ActingTenant() tenant: string, @Query() query: unknown): Promise<Json> {
    return this.mlflow.registeredModel(tenant, parseInput(nameOnlySchema, query, 'query').name);
  }

  @Post('registered-models/rename')
  @HttpCode(200)
  @RequireRoles(Role.ModelsWrite)
  rename(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(renameSchema, body, 'body');
    return this.mlflow.rename(tenant, input.name, input.new_name);
  }

  @Patch('registered-models/update')
  @RequireRoles(Role.ModelsWrite)
  updateModel(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(updateRegisteredModelSchema, body, 'body');
    return this.mlflow.updateDescription(tenant, input.name, input.description);
  }

  @Delete('registered-models/delete')
  @RequireRoles(Role.ModelsWrite)
  async deleteModel(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    await this.mlflow.deleteModel(tenant, parseInput(nameOnlySchema, body, 'body').name);
    return {};
  }

  @Get('registered-models/search')
  @RequireRoles(Role.ModelsRead)
  searchModels(@ActingTenant() tenant: string, @Query() query: unknown): Promise<Json> {
    return this.mlflow.searchRegisteredModels(tenant, parseInput(searchSchema, query, 'query'));
  }

  @Post('registered-models/get-latest-versions')
  @HttpCode(200)
  @RequireRoles(Role.ModelsRead)
  latest(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    return this.mlflow.latestVersions(tenant, parseInput(latestVersionsSchema, body, 'body').name);
  }

  @Post('registered-models/set-tag')
  @HttpCode(200)
  @RequireRoles(Role.ModelsWrite)
  setModelTag(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(modelTagSchema, body, 'body');
    return this.mlflow.setModelTag(tenant, input.name, input.key, input.value);
  }

  @Delete('registered-models/delete-tag')
  @RequireRoles(Role.ModelsWrite)
  deleteModelTag(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(modelTagKeySchema, body, 'body');
    return this.mlflow.setModelTag(tenant, input.name, input.key, undefined);
  }

  @Post('registered-models/alias')
  @HttpCode(200)
  @RequireRoles(Role.ModelsWrite)
  setAlias(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(setAliasSchema, body, 'body');
    return this.mlflow.setAlias(tenant, input.name, input.alias, input.version);
  }

  @Delete('registered-models/alias')
  @RequireRoles(Role.ModelsWrite)
  deleteAlias(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(aliasSchema, body, 'body');
    return this.mlflow.deleteAlias(tenant, input.name, input.alias);
  }

  @Get('registered-models/alias')
  @RequireRoles(Role.ModelsRead)
  byAlias(@ActingTenant() tenant: string, @Query() query: unknown): Promise<Json> {
    const input = parseInput(aliasSchema, query, 'query');
    return this.mlflow.version(tenant, input.name, `@${input.alias}`);
  }

  @Post('model-versions/create')
  @HttpCode(200)
  @RequireRoles(Role.ModelsWrite)
  createVersion(
    @CurrentCaller() caller: Caller,
    @ActingTenant() tenant: string,
    @Body() body: unknown,
  ): Promise<Json> {
    return this.mlflow.createModelVersion(
      caller,
      tenant,
      parseInput(createModelVersionSchema, body, 'body'),
    );
  }

  @Get('model-versions/get')
  @RequireRoles(Role.ModelsRead)
  getVersion(@ActingTenant() tenant: string, @Query() query: unknown): Promise<Json> {
    const input = parseInput(versionRefSchema, query, 'query');
    return this.mlflow.version(tenant, input.name, String(input.version));
  }

  @Patch('model-versions/update')
  @RequireRoles(Role.ModelsWrite)
  updateVersion(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(updateModelVersionSchema, body, 'body');
    return this.mlflow.updateVersionDescription(
      tenant,
      input.name,
      input.version,
      input.description,
    );
  }

  @Get('model-versions/search')
  @RequireRoles(Role.ModelsRead)
  searchVersions(@ActingTenant() tenant: string, @Query() query: unknown): Promise<Json> {
    return this.mlflow.searchModelVersions(tenant, parseInput(searchSchema, query, 'query'));
  }

  @Get('model-versions/get-download-uri')
  @RequireRoles(Role.ModelsRead)
  downloadUri(@ActingTenant() tenant: string, @Query() query: unknown): Promise<Json> {
    const input = parseInput(versionRefSchema, query, 'query');
    return this.mlflow.downloadUri(tenant, input.name, input.version);
  }

  @Post('model-versions/set-tag')
  @HttpCode(200)
  @RequireRoles(Role.ModelsWrite)
  setVersionTag(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(versionTagSchema, body, 'body');
    return this.mlflow.setVersionTag(tenant, input.name, input.version, input.key, input.value);
  }

  @Delete('model-versions/delete-tag')
  @RequireRoles(Role.ModelsWrite)
  deleteVersionTag(@ActingTenant() tenant: string, @Body() body: unknown): Promise<Json> {
    const input = parseInput(versionTagKeySchema, body, 'body');
    return this.mlflow.setVersionTag(tenant, input.name, input.version, input.key, undefined);
  }

  @Post('model-versions/transition-stage')
  @RequireRoles(Role.ModelsWrite)
  transitionStage(): never {
    throw notImplemented('Model version stages (deprecated by MLflow; set an alias instead)');
  }

  @Delete('model-versions/delete')
  @RequireRoles(Role.ModelsWrite)
  deleteVersion(): never {
    throw notImplemented(
      'Deleting a model version (versions are immutable; archive or deactivate it)',
    );
  }
}
