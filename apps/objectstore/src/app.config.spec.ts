import { describeConfigContract } from '@iotwins/testing';
import { objectstoreEnvSchema } from './app.config';

describeConfigContract('objectstore', objectstoreEnvSchema);
