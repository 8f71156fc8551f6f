import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException, parseInput } from '@iotwins/http';
import { ModelsEventType, type NodeHeartbeat, type NodeStatus } from '@iotwins/messaging';
import type { ModelRegistryConfig } from '../app.config';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { deploymentNameSchema } from '../deployments/deployments.dto';
import { ModelEvents } from '../events/model.events';
import type { NodeView, RegisterNodeInput } from './nodes.dto';
import { DuplicateNodeError, NodesRepository, type NodeDocument } from './nodes.repository';

@Injectable()
export class NodesService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(NodesService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nodes: NodesRepository,
    private readonly events: ModelEvents,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.markStaleOffline().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'node liveness check failed'),
      );
    }, this.config.MODEL_REGISTRY_NODE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async register(tenant: string, input: RegisterNodeInput): Promise<NodeView> {
    const node: NodeDocument = {
      _id: randomUUID(),
      tenant,
      name: input.name,
      labels: input.labels,
      hardware: input.hardware,
      runtime: input.runtime,
      registeredAt: new Date(),
      lastSeen: null,
      online: false,
      running: [],
      rollout: {},
    };
    try {
      await this.nodes.insert(node);
    } catch (error) {
      if (error instanceof DuplicateNodeError)
        throw ProblemException.of(409, 'node-exists', `Node "${input.name}" is already registered`);
      throw error;
    }
    return nodeView(node);
  }

  async resolve(tenant: string, name: string): Promise<NodeDocument> {
    const node = await this.nodes.find(tenant, name);
    if (!node) throw ProblemException.of(404, 'node-not-found', `Node "${name}" is not registered`);
    return node;
  }

  async get(tenant: string, name: string): Promise<NodeView> {
    return nodeView(await this.resolve(tenant, name));
  }

  async list(
    tenant: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ nodes: NodeView[]; nextCursor?: string }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && after === undefined)
      throw ProblemException.of(400, 'invalid-query', 'cursor is not one this API handed out');
    const page = await this.nodes.list(tenant, after, limit);
    const nodes = page.slice(0, limit).map(nodeView);
    return page.length > limit
      ? { nodes, nextCursor: encodeCursor(nodes.at(-1)!.name) }
      : { nodes };
  }

  async update(
    tenant: string,
    name: string,
    facts: Partial<Pick<NodeDocument, 'labels' | 'hardware' | 'runtime'>>,
  ): Promise<NodeView> {
    const node = await this.nodes.updateFacts(tenant, name, facts);
    if (!node) throw ProblemException.of(404, 'node-not-found', `Node "${name}" is not registered`);
    return nodeView(node);
  }

  async delete(tenant: string, name: string): Promise<void> {
    if (!(await this.nodes.delete(tenant, name)))
      throw ProblemException.of(404, 'node-not-found', `Node "${name}" is not registered`);
  }

  /** A heartbeat, from REST or NATS: the node is alive; announce it if it was not. */
  async heartbeat(tenant: string, name: string, heartbeat: NodeHeartbeat): Promise<NodeView> {
    const at = new Date();
    const before = await this.nodes.heartbeat(tenant, name, at, {
      ...(heartbeat.runtime ? { runtime: heartbeat.runtime } : {}),
      ...(heartbeat.running ? { running: heartbeat.running } : {}),
    });
    if (!before)
      throw ProblemException.of(404, 'node-not-found', `Node "${name}" is not registered`);
    if (!before.online)
      await this.events.publish(tenant, ModelsEventType.NodeOnline, {
        node: name,
        labels: before.labels,
        lastSeen: at.toISOString(),
      });
    return nodeView({
      ...before,
      lastSeen: at,
      online: true,
      ...(heartbeat.running ? { running: heartbeat.running } : {}),
    });
  }

  /** A rollout status report of one deployment on the node; it counts as a sign of life. */
  async reportStatus(tenant: string, name: string, status: NodeStatus): Promise<NodeView> {
    // The deployment names a field of the node's rollout map: the deployment name rule keeps
    // dots and "$" (a path or an operator to the store) out of it.
    parseInput(deploymentNameSchema, status.deployment, 'status', 'validation-failed', [
      'deployment',
    ]);
    await this.heartbeat(tenant, name, {});
    const node = await this.nodes.reportRollout(tenant, name, status.deployment, {
      state: status.state,
      ...(status.version !== undefined ? { version: status.version } : {}),
      ...(status.reason !== undefined ? { reason: status.reason } : {}),
      reportedAt: new Date(),
    });
    if (!node) throw ProblemException.of(404, 'node-not-found', `Node "${name}" is not registered`);
    return nodeView(node);
  }

  /** Marks nodes not heard from within the timeout offline, once each, and announces it. */
  async markStaleOffline(): Promise<void> {
    const before = new Date(Date.now() - this.config.MODEL_REGISTRY_NODE_OFFLINE_AFTER_S * 1000);
    for (const node of await this.nodes.stale(before)) {
      // The conditional update makes one replica, and only one, announce each transition.
      if (!(await this.nodes.markOffline(node._id, node.lastSeen))) continue;
      await this.events.publish(node.tenant, ModelsEventType.NodeOffline, {
        node: node.name,
        labels: node.labels,
        lastSeen: node.lastSeen?.toISOString() ?? null,
      });
    }
  }
}

export function nodeView(node: NodeDocument): NodeView {
  return {
    name: node.name,
    labels: node.labels,
    hardware: node.hardware,
    runtime: node.runtime,
    registeredAt: node.registeredAt.toISOString(),
    lastSeen: node.lastSeen?.toISOString() ?? null,
    online: node.online,
    running: node.running,
    rollout: Object.fromEntries(
      Object.entries(node.rollout ?? {}).map(([deployment, report]) => [
        deployment,
        { ...report, reportedAt: report.reportedAt.toISOString() },
      ]),
    ),
  };
}
