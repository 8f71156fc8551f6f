import type { ModelDocument } from '../models/models.repository';
import { tagsOf } from '../models/models.service';
import type { VersionDocument } from '../versions/versions.repository';

/** MLflow's RegisteredModel message as JSON (timestamps in epoch milliseconds). */
export function registeredModelJson(model: ModelDocument): Record<string, unknown> {
  return {
    name: model.name,
    creation_timestamp: model.createdAt.getTime(),
    last_updated_timestamp: model.updatedAt.getTime(),
    description: model.description,
    tags: model.tags.map(({ key, value }) => ({ key, value })),
    aliases: Object.entries(model.aliases)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

/** Where an MLflow client downloads a version's files: the artifact proxy's view of them. */
export function versionArtifactPath(version: VersionDocument): string {
  return `model-versions/${version.modelId}/${version.number}`;
}

/** MLflow's ModelVersion message as JSON. Stages are not used: aliases replace them. */
export function modelVersionJson(
  model: ModelDocument,
  version: VersionDocument,
): Record<string, unknown> {
  return {
    name: model.name,
    version: String(version.number),
    creation_timestamp: version.createdAt.getTime(),
    last_updated_timestamp: version.updatedAt.getTime(),
    user_id: version.createdBy,
    current_stage: version.status === 'archived' ? 'Archived' : 'None',
    description: version.description,
    source: version.sourceUri ?? `mlflow-artifacts:/${versionArtifactPath(version)}`,
    ...(version.lineage.runId ? { run_id: version.lineage.runId } : {}),
    status: 'READY',
    tags: Object.entries(tagsOf(version)).map(([key, value]) => ({ key, value })),
    aliases: Object.entries(model.aliases)
      .filter(([, number]) => number === version.number)
      .map(([alias]) => alias)
      .sort(),
  };
}
