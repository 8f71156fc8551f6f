import { describeConfigContract } from '@iotwins/testing';
import { retrainerEnvSchema } from './app.config';

describeConfigContract('retrainer', retrainerEnvSchema);
