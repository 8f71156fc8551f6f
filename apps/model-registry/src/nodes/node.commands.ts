import { Injectable, Logger } from '@nestjs/common';
import {
  NatsClient,
  nodeCommandReplySchema,
  nodeCommandSubject,
  type NodeCommand,
} from '@iotwins/messaging';
import type { DeploymentDocument } from '../deployments/deployments.repository';
import { parseLabelSelector, selectorMatches } from '../deployments/label-selector';
import { NodesRepository } from './nodes.repository';

/** How long a node has to answer a command; a silent node learns from events later. */
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * Tells the online nodes a deployment selects that it changed, by request-reply on
 * nodes.<tenant>.<node>.cmd. Best effort and off the request path: nodes that miss it catch up
 * from models.deployment.changed events or the deployment's REST view.
 */
@Injectable()
export class NodeCommands {
  private readonly logger = new Logger(NodeCommands.name);

  constructor(
    private readonly nats: NatsClient,
    private readonly nodes: NodesRepository,
  ) {}

  notifyDeploymentChanged(tenant: string, deployment: DeploymentDocument, model: string): void {
    void this.send(tenant, deployment, model).catch((error: unknown) =>
      this.logger.warn({ err: error, deployment: deployment.name }, 'nodes not told of a change'),
    );
  }

  private async send(tenant: string, deployment: DeploymentDocument, model: string): Promise<void> {
    const selector = parseLabelSelector(deployment.selector);
    const targets = (await this.nodes.all(tenant)).filter(
      (node) => node.online && selectorMatches(selector, node.labels),
    );
    const command: NodeCommand = {
      type: 'deployment.changed',
      deployment: deployment.name,
      model,
      version: deployment.version,
      revision: deployment.revision,
    };
    await Promise.all(
      targets.map(async (node) => {
        try {
          const reply = await this.nats.nc.request(
            nodeCommandSubject(tenant, node.name),
            JSON.stringify(command),
            { timeout: COMMAND_TIMEOUT_MS },
          );
          const answer = nodeCommandReplySchema.safeParse(reply.json());
          if (!answer.success || !answer.data.accepted)
            this.logger.warn({ node: node.name, reply: reply.string() }, 'node refused a command');
        } catch (error) {
          this.logger.debug?.(
            { node: node.name, err: (error as Error).message },
            'node did not answer',
          );
        }
      }),
    );
  }
}
