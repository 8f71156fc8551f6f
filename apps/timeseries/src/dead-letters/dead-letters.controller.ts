import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { ProblemException, parseInput } from '@iotwins/http';
import {
  DeadLetterListDto,
  MAX_DEAD_LETTERS_PAGE,
  ReplayResultDto,
  deadLetterIdSchema,
  deadLetterListQuerySchema,
} from './dead-letters.dto';
import { DeadLettersService } from './dead-letters.service';

/** Telemetry InfluxDB refused after ingest acknowledged it, visible to its own tenant. */
@ApiTags('dead-letters')
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @RequireRoles(Role.TelemetryRead)
  @ApiOperation({ summary: 'The tenant’s dead letters, oldest first: reason, lines and time' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: `1 to ${MAX_DEAD_LETTERS_PAGE}` })
  @ApiQuery({ name: 'tenant', required: false, description: 'platform admins: another tenant' })
  list(
    @ActingTenant() tenant: string,
    @Query() query: Record<string, unknown>,
  ): Promise<DeadLetterListDto> {
    const parsed = parseInput(deadLetterListQuerySchema, query, 'query');
    return this.deadLetters.list(tenant, parsed.after, parsed.limit);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({
    summary: 'Write a dead letter’s lines again, after a fix; removed once stored, kept if refused',
  })
  replay(@ActingTenant() tenant: string, @Param('id') id: string): Promise<ReplayResultDto> {
    const parsed = deadLetterIdSchema.safeParse(id);
    if (!parsed.success)
      throw ProblemException.of(400, 'invalid-dead-letter-id', 'id must be a dead letter id');
    return this.deadLetters.replay(tenant, parsed.data);
  }
}
