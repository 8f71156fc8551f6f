import { createServer, type Server, type Socket } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Counter } from 'prom-client';
import { APP_CONFIG } from '@iotwins/config';
import { ClientSecretExchange, TokenVerifier, type Caller } from '@iotwins/auth';
import { MetricsRegistry } from '@iotwins/observability';
import type { IngestConfig } from '../app.config';
import { IngestService } from '../telemetry/ingest.service';
import { MqttConnection } from './mqtt-connection';

/**
 * The ingest MQTT endpoint (ADR 0009): devices publish to ingest itself, so a PUBACK is sent
 * only once the message is in JetStream, and a refused payload gets an MQTT 5 reason code.
 */
@Injectable()
export class MqttServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MqttServer.name);
  private server: Server | undefined;
  private readonly connections = new Set<MqttConnection>();
  private readonly messages: Counter<'outcome'>;
  private boundPort: number | undefined;

  constructor(
    private readonly ingest: IngestService,
    private readonly exchange: ClientSecretExchange,
    private readonly verifier: TokenVerifier,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
    metrics: MetricsRegistry,
  ) {
    this.messages = new Counter({
      name: 'ingest_mqtt_server_packets_total',
      help: 'What the ingest MQTT endpoint did with each PUBLISH or CONNECT, by outcome',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
  }

  /** The port the endpoint listens on (useful when MQTT_SERVER_PORT is 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.MQTT_SERVER_ENABLED) return;
    const server = createServer((socket: Socket) => {
      const connection = new MqttConnection(socket, {
        ingest: this.ingest,
        authenticate: (clientId, secret) => this.authenticate(clientId, secret),
        topicPrefix: this.config.MQTT_TOPIC_PREFIX,
        maxPacketBytes: this.config.MQTT_SERVER_MAX_PACKET_BYTES,
        maxListedErrors: this.config.INGEST_MAX_LISTED_ERRORS,
        count: (outcome) => this.messages.inc({ outcome }),
      });
      this.connections.add(connection);
      socket.once('close', () => this.connections.delete(connection));
    });
    this.server = server;
    this.boundPort = await new Promise<number>((done, fail) => {
      server.once('error', fail);
      server.listen(this.config.MQTT_SERVER_PORT, this.config.HOST, () => {
        const address = server.address();
        done(typeof address === 'object' && address ? address.port : 0);
      });
    });
    this.logger.log(`MQTT ingest endpoint listening on ${this.config.HOST}:${this.boundPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const connection of this.connections) connection.close();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  private async authenticate(clientId: string, secret: string): Promise<Caller> {
    return this.verifier.verify(await this.exchange.exchange(clientId, secret));
  }
}
