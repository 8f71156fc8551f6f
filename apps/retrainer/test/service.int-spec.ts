import { describeServiceContract } from '@iotwins/testing';
import { startRetrainer, RetrainerTestbed } from './retrainer.fixture';

const testbed = new RetrainerTestbed('retrainer-contract');

afterAll(() => testbed.close());

describeServiceContract(
  'retrainer',
  async () => {
    // The contract closes the app itself, so it is not started through the testbed.
    await testbed.start();
    return startRetrainer(testbed.overrides());
  },
  ['nats', 'postgresql'],
);
