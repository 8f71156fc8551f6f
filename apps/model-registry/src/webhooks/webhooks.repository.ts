import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Collection } from 'mongodb';
import { ModelMetadataStore } from '../metadata/mongo.client';

export interface WebhookDocument {
  _id: string;
  tenant: string;
  modelId: string;
  url: string;
  /** The HMAC-SHA256 key; kept to sign, shown to the caller once, at creation. */
  secret: string;
  /** Event types delivered; empty means every event of the model. */
  events: string[];
  createdAt: Date;
}

export interface DeliveryAttempt {
  at: Date;
  status?: number;
  error?: string;
}

export interface DeliveryDocument {
  /** `<webhook id>/<event id>`: one log entry per event and webhook. */
  _id: string;
  tenant: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  updatedAt: Date;
}

/** The webhooks and webhook_deliveries collections, the only place that queries them. */
@Injectable()
export class WebhooksRepository implements OnModuleInit {
  constructor(private readonly store: ModelMetadataStore) {}

  private get webhooks(): Collection<WebhookDocument> {
    return this.store.client.db().collection<WebhookDocument>('webhooks');
  }

  private get deliveries(): Collection<DeliveryDocument> {
    return this.store.client.db().collection<DeliveryDocument>('webhook_deliveries');
  }

  async onModuleInit(): Promise<void> {
    await this.webhooks.createIndex({ tenant: 1, modelId: 1 }, { name: 'tenant_model' });
    await this.deliveries.createIndex({ webhookId: 1, updatedAt: -1 }, { name: 'webhook_time' });
  }

  async insert(webhook: WebhookDocument): Promise<void> {
    await this.webhooks.insertOne(webhook);
  }

  ofModel(tenant: string, modelId: string): Promise<WebhookDocument[]> {
    return this.webhooks.find({ tenant, modelId }).sort({ createdAt: 1 }).toArray();
  }

  find(tenant: string, modelId: string, id: string): Promise<WebhookDocument | null> {
    return this.webhooks.findOne({ tenant, modelId, _id: id });
  }

  async delete(tenant: string, modelId: string, id: string): Promise<boolean> {
    return (await this.webhooks.deleteOne({ tenant, modelId, _id: id })).deletedCount === 1;
  }

  async deleteAllOf(tenant: string, modelId: string): Promise<void> {
    await this.webhooks.deleteMany({ tenant, modelId });
  }

  delivery(id: string): Promise<DeliveryDocument | null> {
    return this.deliveries.findOne({ _id: id });
  }

  /** Appends an attempt and sets the state, creating the log entry on the first attempt. */
  async recordAttempt(
    entry: Omit<DeliveryDocument, 'attempts' | 'updatedAt'>,
    attempt: DeliveryAttempt,
  ): Promise<void> {
    const { _id, ...fields } = entry;
    await this.deliveries.updateOne(
      { _id },
      { $set: { ...fields, updatedAt: new Date() }, $push: { attempts: attempt } },
      { upsert: true },
    );
  }

  deliveriesOf(webhookId: string, limit: number): Promise<DeliveryDocument[]> {
    return this.deliveries.find({ webhookId }).sort({ updatedAt: -1 }).limit(limit).toArray();
  }
}
