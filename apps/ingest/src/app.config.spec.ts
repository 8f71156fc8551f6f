import { describeConfigContract } from '@iotwins/testing';
import { ingestEnvSchema } from './app.config';

describeConfigContract('ingest', ingestEnvSchema);
