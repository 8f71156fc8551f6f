import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { nanos } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import {
  MODEL_REGISTRY_NODES_CONSUMER,
  NODES_STREAM,
  NatsClient,
  consumeUntilStopped,
  requireStreams,
  type ConsumeLoop,
} from '@iotwins/messaging';
import { ProblemException } from '@iotwins/http';
import { backingOutage } from '../common/backing-outage';
import { NodeMessageDrops } from './node-message.drops';
import { readNodeMessage } from './node-message';
import { NodesService } from './nodes.service';

/** A message not applied after this many deliveries is dropped, whatever the error. */
export const MAX_NODE_MESSAGE_DELIVERIES = 10;

/**
 * Reads heartbeats and rollout status that edge nodes publish on nodes.<tenant>.<node>.*,
 * through the NODES stream's durable consumer shared by every replica. The tenant comes from
 * the subject, which NATS permissions bind to the node's identity.
 *
 * Nodes are tenants' devices: any message may be hostile. One that can never be applied
 * (too large, not UTF-8, not JSON, wrong fields, text the store refuses, an unknown node, or
 * an error of the store about this document) is dropped at once and counted, with a bounded
 * copy in the log (NodeMessageDrops); only an outage of the store is retried, and even then
 * at most MAX_NODE_MESSAGE_DELIVERIES times. So no message can stall the consumer, which
 * every tenant's nodes share.
 */
@Injectable()
export class NodesConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NodesConsumer.name);
  private loop: ConsumeLoop | undefined;

  constructor(
    private readonly nats: NatsClient,
    private readonly nodes: NodesService,
    private readonly drops: NodeMessageDrops,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats.nc);
    // The operator's provisioning step creates NODES; the registry creates only its durable.
    await requireStreams(jsm, NODES_STREAM);
    await jsm.consumers
      .add(NODES_STREAM, {
        durable_name: MODEL_REGISTRY_NODES_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(30_000),
      })
      .catch((error: unknown) => {
        // Already there (another replica, an earlier start): use it as it is.
        if (!/already in use|exists/i.test((error as Error).message)) throw error;
      });
    const consumer = await jetstream(this.nats.nc).consumers.get(
      NODES_STREAM,
      MODEL_REGISTRY_NODES_CONSUMER,
    );
    this.loop = consumeUntilStopped(
      consumer,
      { maxMessages: 100, retryDelayMs: 1_000, logger: this.logger, what: 'NODES consumer' },
      (message) => this.handle(message),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /** Applies one message; never throws, so the loop goes on with the next one. */
  async handle(message: JsMsg): Promise<void> {
    try {
      const read = readNodeMessage(message.subject, message.data);
      if (!read.ok) return this.drop(message, 'invalid', read.reason);
      try {
        if (read.kind === 'heartbeat')
          await this.nodes.heartbeat(read.tenant, read.node, read.body);
        else await this.nodes.reportStatus(read.tenant, read.node, read.body);
        message.ack();
      } catch (error) {
        if (error instanceof ProblemException)
          return this.drop(message, 'refused', error.problem.detail ?? error.problem.title);
        const outage = backingOutage(error);
        if (!outage) return this.drop(message, 'store-error', (error as Error).message);
        if (message.info.deliveryCount >= MAX_NODE_MESSAGE_DELIVERIES)
          return this.drop(message, 'retries-exhausted', `${outage} unavailable`);
        // The store is away: JetStream redelivers, a bounded number of times.
        this.logger.warn({ subject: message.subject, server: outage }, 'node message retried');
        message.nak(1_000);
      }
    } catch (error) {
      // Even dropping failed (a connection gone): the ack wait brings it back, the loop goes on.
      this.logger.error({ subject: message.subject, err: error }, 'node message not handled');
    }
  }

  private drop(message: JsMsg, kind: string, reason: string): void {
    this.drops.record(message, kind, reason);
    message.term(reason.slice(0, 256));
  }
}
