import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ReadinessCheck } from '@iotwins/observability';

export interface NatsOptions {
  url: string;
  user: string;
  password: string;
  /** Shown in the server's connection list; the app name. */
  name: string;
}

export const NATS_OPTIONS = Symbol('NATS_OPTIONS');

/** The inbox prefix of a service login, _INBOX_<user>; its permissions allow no other. */
export function serviceInboxPrefix(user: string): string {
  return `_INBOX_${user}`;
}

/**
 * The app's one NATS connection. It connects at start, reconnects forever when the server
 * goes away (readiness reports the gap) and drains on shutdown so in-flight publishes finish.
 */
@Injectable()
export class NatsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(NatsClient.name);
  private connection: NatsConnection | undefined;

  constructor(@Inject(NATS_OPTIONS) private readonly options: NatsOptions) {}

  async connect(): Promise<NatsConnection> {
    if (this.connection) return this.connection;
    const connection = await connect({
      servers: this.options.url,
      user: this.options.user,
      pass: this.options.password,
      name: this.options.name,
      // Each login may subscribe to its own inbox only (deploy/nats/nats.conf), so no service
      // can read the replies meant for another.
      inboxPrefix: serviceInboxPrefix(this.options.user),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      waitOnFirstConnect: true,
    });
    this.connection = connection;
    void this.logStatus(connection);
    return connection;
  }

  get nc(): NatsConnection {
    if (!this.connection) throw new Error('NATS is not connected yet');
    return this.connection;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connection && !this.connection.isClosed()) await this.connection.drain();
  }

  private async logStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        this.logger.warn({ nats: status.type }, `NATS ${status.type}`);
      }
    }
  }
}

/** Ready when the server answers a round trip and JetStream answers for this account. */
@Injectable()
export class NatsReadiness implements ReadinessCheck {
  readonly name = 'nats';

  constructor(private readonly client: NatsClient) {}

  async probe(): Promise<void> {
    const nc = this.client.nc;
    if (nc.isClosed()) throw new Error('connection closed');
    await nc.flush();
    const jsm = await jetstreamManager(nc, { timeout: 1_500 });
    await jsm.getAccountInfo();
  }
}
