import { retrainerEnvSchema } from '../app.config';
import { REGISTRY_SUBJECTS, RegistryOperation } from './model-version';

describe('model registry subjects', () => {
  it('are the registry’s own with the default prefix', () => {
    const prefix = retrainerEnvSchema.shape.MODEL_REGISTRY_SUBJECT_PREFIX.parse(undefined);
    expect(`${prefix}.${RegistryOperation.VersionGet}`).toBe(REGISTRY_SUBJECTS.VersionGet);
    expect(`${prefix}.${RegistryOperation.AliasSet}`).toBe(REGISTRY_SUBJECTS.AliasSet);
    expect(`${prefix}.${RegistryOperation.VersionDeactivate}`).toBe(
      REGISTRY_SUBJECTS.VersionDeactivate,
    );
  });
});
