import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { connect, type ChannelModel } from 'amqplib';
import { repoRoot, requireEnv } from '@iotwins/testing';

/** The RabbitMQ of scripts/services.sh, reached with local.env's user and vhost. */
export const rabbit = {
  url: () => `amqp://127.0.0.1:${requireEnv('RABBITMQ_PORT')}`,
  user: () => requireEnv('RABBITMQ_USER'),
  password: () => requireEnv('RABBITMQ_PASSWORD'),
  vhost: () => requireEnv('RABBITMQ_VHOST'),
};

/** A client connection of the test (the testbed's side of the broker). */
export function connectBroker(): Promise<ChannelModel> {
  return connect({
    protocol: 'amqp',
    hostname: '127.0.0.1',
    port: Number(requireEnv('RABBITMQ_PORT')),
    username: rabbit.user(),
    password: rabbit.password(),
    vhost: rabbit.vhost(),
  });
}

/** The connection part of an AMQP connector's configuration. */
export const brokerConfig = (password = rabbit.password()) => ({
  url: rabbit.url(),
  username: rabbit.user(),
  password: { value: password },
  vhost: rabbit.vhost(),
});

const run = promisify(execFile);

/** rabbitmqctl against the node of this data dir (scripts/services.sh knows its name and cookie). */
export async function rabbitmqctl(...args: string[]): Promise<unknown> {
  const { stdout } = await run(
    'bash',
    [resolve(repoRoot, 'scripts/services.sh'), 'rabbitmqctl', '-q', ...args, '--formatter', 'json'],
    { env: process.env, timeout: 60_000 },
  );
  return JSON.parse(stdout);
}

export interface QueueCounters {
  name: string;
  messages_ready: number;
  messages_unacknowledged: number;
  consumers: number;
}

/** The broker's own counters of one queue: ready, unacknowledged, consumers. */
export async function queueCounters(queue: string): Promise<QueueCounters | undefined> {
  const queues = (await rabbitmqctl(
    'list_queues',
    '-p',
    rabbit.vhost(),
    'name',
    'messages_ready',
    'messages_unacknowledged',
    'consumers',
  )) as QueueCounters[];
  return queues.find((q) => q.name === queue);
}

/** The prefetch count the broker applies to each consumer of a queue. */
export async function consumerPrefetch(queue: string): Promise<number[]> {
  const consumers = (await rabbitmqctl(
    'list_consumers',
    '-p',
    rabbit.vhost(),
    'queue_name',
    'prefetch_count',
  )) as { queue_name: string; prefetch_count: number }[];
  return consumers.filter((c) => c.queue_name === queue).map((c) => c.prefetch_count);
}
