import { describeConfigContract } from '@iotwins/testing';
import { modelRegistryEnvSchema } from './app.config';

describeConfigContract('model-registry', modelRegistryEnvSchema);
