import { describeConfigContract } from '@iotwins/testing';
import { timeseriesEnvSchema } from './app.config';

describeConfigContract('timeseries', timeseriesEnvSchema);
