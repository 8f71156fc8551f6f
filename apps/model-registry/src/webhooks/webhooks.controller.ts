import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import { ModelsEventType } from '@iotwins/messaging';
import { z } from 'zod';
import { openApiSchema } from '../common/openapi';
import { TENANT_QUERY } from '../common/tenant-query';
import { parseInput } from '@iotwins/http';
import { WebhooksService, type WebhookView } from './webhooks.service';

const EVENT_TYPES = Object.values(ModelsEventType);

const createWebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'url must be an http or https URL' }).max(2_000),
    /** The HMAC-SHA256 key; generated when absent. */
    secret: z.string().min(16, 'secret must be at least 16 characters').max(256).optional(),
    events: z
      .array(
        z.enum(EVENT_TYPES as [string, ...string[]], {
          message: `events must be among ${EVENT_TYPES.join(', ')}`,
        }),
      )
      .default([]),
  })
  .strict();

@ApiTags('webhooks')
@ApiQuery(TENANT_QUERY)
@Controller('v1/models/:model/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @RequireRoles(Role.ModelsWrite)
  @ApiOperation({
    summary: 'Add a webhook: the model’s events POSTed, signed (x-iotwins-signature: sha256=HMAC)',
  })
  @ApiBody({ schema: openApiSchema(createWebhookSchema) })
  create(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Body() body: unknown,
  ): Promise<WebhookView> {
    return this.webhooks.create(tenant, model, parseInput(createWebhookSchema, body, 'body'));
  }

  @Get()
  @RequireRoles(Role.ModelsRead)
  async list(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
  ): Promise<{ webhooks: WebhookView[] }> {
    return { webhooks: await this.webhooks.list(tenant, model) };
  }

  @Delete(':webhook')
  @HttpCode(204)
  @RequireRoles(Role.ModelsWrite)
  async delete(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('webhook') id: string,
  ): Promise<void> {
    await this.webhooks.delete(tenant, model, id);
  }

  @Get(':webhook/deliveries')
  @RequireRoles(Role.ModelsRead)
  @ApiOperation({ summary: 'The delivery log: every attempt with its status, newest first' })
  deliveries(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Param('webhook') id: string,
  ): Promise<unknown> {
    return this.webhooks.deliveries(tenant, model, id);
  }
}
