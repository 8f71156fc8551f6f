import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { nanos } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  MODEL_REGISTRY_NODES_CONSUMER,
  NODES_STREAM,
  NatsClient,
  consumeUntilStopped,
  requireStreams,
  nodeHeartbeatSchema,
  nodeStatusSchema,
  parseNodeSubject,
  type ConsumeLoop,
} from '@iotwins/messaging';
import { ProblemException } from '@iotwins/http';
import { NodesService } from './nodes.service';

/**
 * Reads heartbeats and rollout status that edge nodes publish on nodes.<tenant>.<node>.*,
 * through the NODES stream's durable consumer shared by every replica. The tenant comes from
 * the subject, which NATS permissions bind to the node's identity.
 */
@Injectable()
export class NodesConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NodesConsumer.name);
  private loop: ConsumeLoop | undefined;

  constructor(
    private readonly nats: NatsClient,
    private readonly nodes: NodesService,
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
      async (message) => {
        const where = parseNodeSubject(message.subject);
        try {
          if (!where) throw new Error(`unexpected subject ${message.subject}`);
          const body = message.json<unknown>();
          if (where.kind === 'heartbeat')
            await this.nodes.heartbeat(where.tenant, where.node, nodeHeartbeatSchema.parse(body));
          else
            await this.nodes.reportStatus(where.tenant, where.node, nodeStatusSchema.parse(body));
          message.ack();
        } catch (error) {
          if (
            error instanceof ProblemException ||
            error instanceof SyntaxError ||
            isZodError(error)
          ) {
            // A message that can never be applied (unknown node, bad payload) is dropped.
            this.logger.warn(
              { subject: message.subject, err: (error as Error).message },
              'node message dropped',
            );
            message.term();
            return;
          }
          // The store is away: JetStream redelivers after the ack wait.
          this.logger.warn(
            { subject: message.subject, err: error },
            'node message not applied yet',
          );
          message.nak(1_000);
        }
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }
}

function isZodError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ZodError';
}
