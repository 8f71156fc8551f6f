import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { z } from 'zod';
import { openApiSchema } from '../common/openapi';
import { TENANT_QUERY } from '../common/tenant-query';
import { parseInput } from '@iotwins/http';
import type { VersionView } from '../versions/versions.dto';
import { VersionsService } from '../versions/versions.service';
import { AliasesService } from './aliases.service';

const setAliasSchema = z
  .object({
    version: z.number().int().positive(),
    reason: z.string().min(1).max(2_000).optional(),
  })
  .strict();

@ApiTags('aliases')
@ApiQuery(TENANT_QUERY)
@Controller('v1')
export class AliasesController {
  constructor(
    private readonly aliases: AliasesService,
    private readonly versions: VersionsService,
  ) {}

  @Put('models/:model/aliases/:alias')
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({ summary: 'Set or move an alias; deployments following it are re-rendered' })
  @ApiBody({ schema: openApiSchema(setAliasSchema) })
  set(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('alias') alias: string,
    @Body() body: unknown,
  ): Promise<VersionView> {
    const input = parseInput(setAliasSchema, body, 'body');
    return this.aliases.set(tenant, model, alias, input.version, input.reason);
  }

  @Get('models/:model/aliases/:alias')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'The version an alias points at' })
  get(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('alias') alias: string,
  ): Promise<VersionView> {
    return this.versions.get(tenant, model, `@${alias}`);
  }

  @Delete('models/:model/aliases/:alias')
  @HttpCode(204)
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({ summary: 'Remove an alias' })
  async remove(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('alias') alias: string,
  ): Promise<void> {
    await this.aliases.remove(tenant, model, alias);
  }

  @Get('model-refs/:ref')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'Resolve <name>@<alias> (or <name>/<version>) to its version' })
  resolve(@ActingTenant() tenant: string, @Param('ref') ref: string): Promise<VersionView> {
    const at = ref.lastIndexOf('@');
    const slash = ref.lastIndexOf('/');
    if (at > 0) return this.versions.get(tenant, ref.slice(0, at), ref.slice(at));
    if (slash > 0) return this.versions.get(tenant, ref.slice(0, slash), ref.slice(slash + 1));
    throw ProblemException.of(
      400,
      'invalid-model-ref',
      `"${ref}" is neither <name>@<alias> nor <name>/<version>`,
    );
  }
}
