import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ProblemException } from '@iotwins/http';
import { ModelsService } from '../models/models.service';
import {
  WebhooksRepository,
  type DeliveryDocument,
  type WebhookDocument,
} from './webhooks.repository';

export interface WebhookView {
  id: string;
  model: string;
  url: string;
  events: string[];
  createdAt: string;
  /** Only in the answer to the create: keep it to verify signatures. */
  secret?: string;
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly models: ModelsService,
    private readonly webhooks: WebhooksRepository,
  ) {}

  async create(
    tenant: string,
    modelName: string,
    input: { url: string; secret?: string; events: string[] },
  ): Promise<WebhookView> {
    const model = await this.models.resolve(tenant, modelName);
    const webhook: WebhookDocument = {
      _id: randomUUID(),
      tenant,
      modelId: model._id,
      url: input.url,
      secret: input.secret ?? randomBytes(32).toString('base64url'),
      events: input.events,
      createdAt: new Date(),
    };
    await this.webhooks.insert(webhook);
    return { ...view(webhook, model.name), secret: webhook.secret };
  }

  async list(tenant: string, modelName: string): Promise<WebhookView[]> {
    const model = await this.models.resolve(tenant, modelName);
    return (await this.webhooks.ofModel(tenant, model._id)).map((w) => view(w, model.name));
  }

  async delete(tenant: string, modelName: string, id: string): Promise<void> {
    const model = await this.models.resolve(tenant, modelName);
    if (!(await this.webhooks.delete(tenant, model._id, id))) throw webhookNotFound(id);
  }

  async deliveries(
    tenant: string,
    modelName: string,
    id: string,
  ): Promise<{ deliveries: Omit<DeliveryDocument, '_id' | 'tenant'>[] }> {
    const model = await this.models.resolve(tenant, modelName);
    if (!(await this.webhooks.find(tenant, model._id, id))) throw webhookNotFound(id);
    const log = await this.webhooks.deliveriesOf(id, 100);
    return {
      deliveries: log.map(({ _id: _omit, tenant: _tenant, ...entry }) => ({
        ...entry,
        attempts: entry.attempts,
      })),
    };
  }
}

function view(webhook: WebhookDocument, model: string): WebhookView {
  return {
    id: webhook._id,
    model,
    url: webhook.url,
    events: webhook.events,
    createdAt: webhook.createdAt.toISOString(),
  };
}

function webhookNotFound(id: string): ProblemException {
  return ProblemException.of(404, 'webhook-not-found', `Webhook "${id}" does not exist`);
}
