import mqtt, { type MqttClient } from 'mqtt';
import { TelemetryHeader } from '@iotwins/messaging';
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
      await runSink(ctx, async (messages) => {
        await broker.publish(messages);
        ctx.count({ pointsWritten: delivered(messages) });
      });
    } finally {
      broker.close();
    }
  },

  cleanup: ({ nats, id, config }) => removeSinkConsumer(nats, id, config.source),
};

/** Points of telemetry (from the header ingest sets, else the lines), or events, delivered. */
function delivered(messages: SinkMessage[]): number {
  let count = 0;
  for (const message of messages) {
    if (!message.subject.startsWith('telemetry.')) count += 1;
    else {
      const points = Number(message.headers?.get(TelemetryHeader.Points));
      count += Number.isInteger(points) && points > 0 ? points : lineCount(message.data);
    }
  }
  return count;
}

function lineCount(data: Uint8Array): number {
  let lines = data.length > 0 && data.at(-1) !== 0x0a ? 1 : 0;
  for (const byte of data) if (byte === 0x0a) lines += 1;
  return lines;
}

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

  private async connect(): Promise<MqttClient> {
    const { url } = this.ctx.config;
    try {
      await this.ctx.outbound.assertHost(new URL(url).hostname);
    } catch (error) {
      this.client = undefined;
      throw new Error(`cannot connect to ${url}: ${(error as Error).message}`);
    }
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
