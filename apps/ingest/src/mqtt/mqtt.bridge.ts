import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import mqtt, { type MqttClient } from 'mqtt';
import { Counter, Gauge } from 'prom-client';
import { APP_CONFIG } from '@iotwins/config';
import { MetricsRegistry, type ReadinessCheck } from '@iotwins/observability';
import type { IngestConfig } from '../app.config';
import { IngestService } from '../telemetry/ingest.service';
import { parseMqttPayload } from './mqtt-payload';
import { parseTelemetryTopic, telemetryTopicFilter } from './mqtt-topic';

/** MQTT 5 PUBACK reason codes the bridge answers with. */
const PUBACK = { success: 0, topicNameInvalid: 0x90, payloadFormatInvalid: 0x99 } as const;
const WRITE_ATTEMPTS = 5;

/**
 * Feeds MQTT telemetry into the same pipeline as HTTP. It subscribes with QoS 1 in a
 * persistent session and sends the PUBACK only after JetStream stored the points; when the
 * platform cannot store them, the PUBACK is withheld and the connection dropped, so the
 * broker delivers the message again after the reconnect.
 */
@Injectable()
export class MqttBridge implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MqttBridge.name);
  private client: MqttClient | undefined;
  private readonly messages: Counter<'outcome'>;

  constructor(
    private readonly ingest: IngestService,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
    metrics: MetricsRegistry,
  ) {
    this.messages = new Counter({
      name: 'ingest_mqtt_messages_total',
      help: 'MQTT messages taken from the broker, by outcome',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.MQTT_ENABLED) return;
    const prefix = this.config.MQTT_TOPIC_PREFIX;
    this.client = mqtt.connect(this.config.MQTT_URL, {
      username: this.config.MQTT_USER,
      password: this.config.MQTT_PASSWORD,
      clientId: `${this.config.MQTT_CLIENT_ID_PREFIX}-${hostname()}-${this.config.PORT}`,
      clean: false,
      protocolVersion: 5,
      reconnectPeriod: 1_000,
      connectTimeout: 5_000,
      customHandleAcks: (topic, payload, _packet, done) =>
        void this.handle(prefix, topic, payload, done),
    });
    this.client.on('connect', () => {
      this.client?.subscribe(
        `$share/${this.config.MQTT_SHARED_GROUP}/${telemetryTopicFilter(prefix)}`,
        { qos: 1 },
        (error) => {
          if (error) this.logger.error({ err: error.message }, 'MQTT subscription failed');
        },
      );
    });
    this.client.on('error', (error) =>
      this.logger.warn({ err: error.message }, 'MQTT connection error'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.endAsync();
  }

  private async handle(
    prefix: string,
    topicName: string,
    payload: Buffer,
    done: (error: Error | number, code?: number) => void,
  ): Promise<void> {
    const topic = parseTelemetryTopic(prefix, topicName);
    if (!topic) {
      this.messages.inc({ outcome: 'bad-topic' });
      done(PUBACK.topicNameInvalid);
      return;
    }
    let context;
    let parsed;
    try {
      context = this.ingest.tenantContext(topic.tenant, undefined);
      const { receivedAt, limits } = context;
      parsed = await this.ingest.withFieldTypes(topic.tenant, (fieldTypes) =>
        parseMqttPayload(payload, topic, receivedAt, limits, fieldTypes),
      );
    } catch (error) {
      // Field types could not be checked (NATS away): no PUBACK, the broker redelivers.
      this.logger.warn(
        { tenant: topic.tenant, err: (error as Error).message },
        'MQTT payload not checked',
      );
      this.messages.inc({ outcome: 'redelivery' });
      this.client?.stream.destroy();
      return;
    }
    const { batch, errors, errorCount } = parsed;
    this.ingest.refused(context, 'invalid-mqtt-payload', errorCount);
    if (errors.length > 0) {
      this.logger.warn(
        { tenant: topic.tenant, topic: topicName, errors: errors.slice(0, 5) },
        'MQTT payload refused in part or whole',
      );
    }
    if (batch.size === 0) {
      this.messages.inc({ outcome: 'invalid' });
      done(PUBACK.payloadFormatInvalid);
      return;
    }
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      try {
        await this.ingest.write(context, batch, 'mqtt');
        this.messages.inc({ outcome: errors.length > 0 ? 'partial' : 'stored' });
        done(PUBACK.success);
        return;
      } catch (error) {
        this.logger.warn(
          { tenant: topic.tenant, attempt, err: (error as Error).message },
          'MQTT batch not stored yet',
        );
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
    // No PUBACK: dropping the connection makes the broker redeliver from the session.
    this.messages.inc({ outcome: 'redelivery' });
    this.client?.stream.destroy();
  }
}

@Injectable()
export class MqttReadiness implements ReadinessCheck {
  readonly name = 'mqtt';
  /** HTTP, gRPC and NATS ingest need no broker: its state is reported, never unready. */
  readonly required = false;

  constructor(
    private readonly bridge: MqttBridge,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
    metrics: MetricsRegistry,
  ) {
    new Gauge({
      name: 'ingest_mqtt_connected',
      help: '1 while the MQTT bridge is connected to the broker, else 0',
      registers: [metrics.registry],
      collect() {
        this.set(bridge.connected ? 1 : 0);
      },
    });
  }

  async probe(): Promise<void> {
    if (this.config.MQTT_ENABLED && !this.bridge.connected)
      throw new Error('not connected to the MQTT broker');
  }
}
