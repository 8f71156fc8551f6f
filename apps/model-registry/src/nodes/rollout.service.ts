import { Injectable } from '@nestjs/common';
import type { RolloutNodeView } from '../deployments/deployments.dto';
import type { DeploymentDocument } from '../deployments/deployments.repository';
import { parseLabelSelector, selectorMatches } from '../deployments/label-selector';
import { NodesRepository } from './nodes.repository';

/** A deployment's rollout: every node its selector matches, with what that node reported. */
@Injectable()
export class RolloutService {
  constructor(private readonly nodes: NodesRepository) {}

  async of(tenant: string, deployment: DeploymentDocument): Promise<RolloutNodeView[]> {
    const selector = parseLabelSelector(deployment.selector);
    const matching = (await this.nodes.all(tenant)).filter((node) =>
      selectorMatches(selector, node.labels),
    );
    return matching
      .map((node) => {
        const report = node.rollout?.[deployment.name];
        return {
          node: node.name,
          online: node.online,
          state: report?.state ?? 'pending',
          ...(report?.version !== undefined ? { version: report.version } : {}),
          ...(report?.reason !== undefined ? { reason: report.reason } : {}),
          ...(report ? { reportedAt: report.reportedAt.toISOString() } : {}),
        };
      })
      .sort((a, b) => a.node.localeCompare(b.node));
  }
}
