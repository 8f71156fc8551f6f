import type { NatsConnection } from '@nats-io/nats-core';
import { describeServiceContract, uniqueName } from '@iotwins/testing';
import { RegistryResponder } from './registry.responder';
import {
  TestDatabase,
  deleteConsumer,
  natsConnection,
  retrainerOverrides,
  startRetrainer,
} from './retrainer.fixture';

const database = new TestDatabase();
const consumer = uniqueName('retrainer-contract');
let registry: RegistryResponder | undefined;
let nc: NatsConnection | undefined;

afterAll(async () => {
  if (nc) {
    await deleteConsumer(nc, consumer);
    await nc.drain();
  }
  await registry?.close();
  await database.drop();
});

describeServiceContract(
  'retrainer',
  async () => {
    await database.create();
    registry = await RegistryResponder.start();
    nc = await natsConnection();
    return startRetrainer(retrainerOverrides(database, registry, consumer));
  },
  ['nats', 'postgresql'],
);
