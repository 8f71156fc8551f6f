import mqtt, { type MqttClient } from 'mqtt';
import type { ConnectorContext, ConnectorDriver } from '../../connector.driver';
import { removeSinkConsumer, runSink, type SinkMessage } from '../../connector.sink';
import { describeMqttError, mqttClientOptions } from '../mqtt-source/mqtt-broker';
import { mqttSinkConfigSchema, mqttSinkProblems, type MqttSinkConfig } from './mqtt-sink.config';
import { telemetryAsJson } from './mqtt-sink.payload';
import { topicFor } from './mqtt-sink.topic';

/**
 * Publishes the tenant's telemetry or events to a testbed's broker with QoS 1: one MQTT
 * message per JetStream message, and the JetStream batch is acknowledged only once the broker
 * answered every PUBACK (runSink retries and dead-letters what it refuses).
 */
export const mqttSinkDriver: ConnectorDriver<MqttSinkConfig> = {
  type: 'mqtt-sink',
  kind: 'sink',
  configSchema: mqttSinkConfigSchema,
  check: mqttSinkProblems,

  async run(ctx) {
    const broker = new SinkBroker(ctx);
    try {
      await runSink(ctx, (messages) => broker.publish(messages));
    } finally {
      broker.close();
    }
  },

  cleanup: ({ nats, id, config }) => removeSinkConsumer(nats, id, config.source),
};

/** The connection to the broker, opened on the first batch and again after it was lost. */
class SinkBroker {
  private client: Promise<MqttClient> | undefined;

  constructor(private readonly ctx: ConnectorContext<MqttSinkConfig>) {}

  async publish(messages: SinkMessage[]): Promise<void> {
    const client = await (this.client ??= this.connect());
    const { topic, format, retain } = this.ctx.config;
    await Promise.all(
      messages.map((message) =>
        client
          .publishAsync(
            topicFor(topic, message.subject),
            format === 'json' && message.subject.startsWith('telemetry.')
              ? telemetryAsJson(message.data)
              : Buffer.from(message.data),
            { qos: 1, retain },
          )
          .catch((error: unknown) => {
            throw new Error(`${this.ctx.config.url}: ${describeMqttError(error as Error)}`);
          }),
      ),
    );
  }

  private connect(): Promise<MqttClient> {
    const { url } = this.ctx.config;
    const client = mqtt.connect(url, mqttClientOptions(this.ctx, { clean: true }));
    const forget = (): void => {
      this.client = undefined;
      client.end(true);
    };
    return new Promise<MqttClient>((resolve, reject) => {
      client.once('connect', () => {
        // Lost later: the next batch connects again; messages in flight fail and are retried.
        client.once('close', forget);
        resolve(client);
      });
      // Kept for the client's life: an 'error' event without a listener would end the process.
      client.on('error', (error) => {
        forget();
        reject(new Error(`cannot connect to ${url}: ${describeMqttError(error)}`));
      });
      client.once('close', () => {
        forget();
        reject(new Error(`cannot connect to ${url}: connection closed`));
      });
    });
  }

  close(): void {
    void this.client?.then((client) => client.end(true)).catch(() => undefined);
    this.client = undefined;
  }
}
