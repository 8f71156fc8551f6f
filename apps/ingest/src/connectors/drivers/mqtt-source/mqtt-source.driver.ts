import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import type { ConnectorContext, ConnectorDriver } from '../../connector.driver';
import { describeMqttError, mqttBrokerProblems, mqttClientOptions } from './mqtt-broker';
import {
  mqttSourceConfigSchema,
  mqttSourceProblems,
  type MqttSourceConfig,
} from './mqtt-source.config';
import { payloadPoints } from './mqtt-source.payload';
import { matchTopic, parseTopicPattern, type TopicPattern } from './mqtt-topic-pattern';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
const STORE_ATTEMPTS = 4;

/** What the cursor keeps: the filters of the session, to drop those a new config left out. */
const cursorSchema = z.object({ filters: z.array(z.string()) });

type Subscription = MqttSourceConfig['subscriptions'][number] & { pattern: TopicPattern };

/**
 * Subscribes to a testbed's own broker with QoS 1 in a persistent session (fixed client id,
 * clean: false) and sends each PUBACK only after JetStream stored the message's points: what
 * was published while the connector was down, or not acknowledged when it died, comes from
 * the session after the next connect.
 */
export const mqttSourceDriver: ConnectorDriver<MqttSourceConfig> = {
  type: 'mqtt-source',
  kind: 'source',
  configSchema: mqttSourceConfigSchema,
  check: (config) => [...mqttBrokerProblems(config), ...mqttSourceProblems(config)],

  async run(ctx) {
    const subscriptions: Subscription[] = ctx.config.subscriptions.map((subscription) => ({
      ...subscription,
      pattern: parseTopicPattern(subscription.topic) as TopicPattern,
    }));
    let delay = FIRST_RETRY_MS;
    while (!ctx.signal.aborted) {
      const session = new SourceSession(ctx, subscriptions);
      try {
        const reason = await session.run();
        if (reason === undefined) break;
        ctx.failed(`${reason}; reconnecting`);
        if (session.wasUp) delay = FIRST_RETRY_MS;
      } catch (error) {
        if (!ctx.signal.aborted) ctx.failed(describeMqttError(error as Error));
      } finally {
        session.close();
      }
      await sleep(delay, undefined, { signal: ctx.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  },
};

/** One connection to the broker, from CONNECT to its loss. */
class SourceSession {
  private client: MqttClient | undefined;
  wasUp = false;

  constructor(
    private readonly ctx: ConnectorContext<MqttSourceConfig>,
    private readonly subscriptions: Subscription[],
  ) {}

  /** Resolves with why the connection ended, or undefined when the run was aborted. */
  async run(): Promise<string | undefined> {
    const { ctx } = this;
    const url = ctx.config.url;
    try {
      await ctx.outbound.assertHost(new URL(url).hostname);
    } catch (error) {
      return `cannot connect to ${url}: ${(error as Error).message}`;
    }
    const client = mqtt.connect(
      url,
      mqttClientOptions(ctx, {
        clean: false,
        ...(ctx.config.protocolVersion === 5
          ? { properties: { sessionExpiryInterval: ctx.config.sessionExpirySeconds } }
          : {}),
        // The PUBACK waits for `done`, called once JetStream stored the points.
        customHandleAcks: (topic, payload, _packet, done) => void this.handle(topic, payload, done),
      }),
    );
    this.client = client;
    const ended = new Promise<string>((resolve) => {
      client.on('error', (error) => resolve(describeMqttError(error)));
      client.on('disconnect', (packet) =>
        resolve(`${url} disconnected us (reason code ${packet.reasonCode ?? 0})`),
      );
      client.on('close', () => resolve(`connection to ${url} closed`));
    });
    const aborted = new Promise<undefined>((resolve) =>
      ctx.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
    const connected = new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const first = await Promise.race([connected.then(() => 'up' as const), ended, aborted]);
    if (first !== 'up')
      return first === undefined ? undefined : `cannot connect to ${url}: ${first}`;

    const filters = this.subscriptions.map((subscription) => subscription.pattern.filter);
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((grant) => grant.qos > 2);
    if (refused.length > 0)
      return `${url} refused the subscription to ${refused.map((grant) => `"${grant.topic}" (reason code ${grant.qos})`).join(', ')}`;
    await this.forgetOldFilters(client, filters);
    this.wasUp = true;
    ctx.succeeded();
    return Promise.race([ended, aborted]);
  }

  /** The session keeps filters of an earlier configuration: they are unsubscribed once. */
  private async forgetOldFilters(client: MqttClient, filters: string[]): Promise<void> {
    const saved = cursorSchema.safeParse(await this.ctx.loadCursor());
    const old = saved.success ? saved.data.filters.filter((f) => !filters.includes(f)) : [];
    if (old.length > 0) await client.unsubscribeAsync(old);
    if (!saved.success || old.length > 0 || saved.data.filters.length !== filters.length)
      await this.ctx.saveCursor({ filters });
  }

  private async handle(
    topic: string,
    payload: Buffer,
    done: (error: Error | number, code?: number) => void,
  ): Promise<void> {
    const { ctx } = this;
    const subscription = this.subscriptions.find((s) => matchTopic(s.pattern, topic));
    const match = subscription && matchTopic(subscription.pattern, topic);
    if (!subscription || !match) {
      // A topic of no current subscription (a wildcard of an older one, still in the session).
      done(0);
      return;
    }
    const { limits, receivedAt } = ctx.ingest.limits();
    const { points, errors } = payloadPoints(
      payload,
      {
        measurement: match.measurement ?? subscription.measurement,
        tags: { ...subscription.tags, ...match.tags },
        format: subscription.format,
        field: match.field ?? subscription.field,
      },
      limits,
      receivedAt,
    );
    for (let attempt = 1; attempt <= STORE_ATTEMPTS; attempt += 1) {
      if (ctx.signal.aborted) return;
      try {
        const outcome = await ctx.ingest.points(points);
        const refused = errors.length + outcome.refused;
        ctx.count({ recordsRead: 1, pointsWritten: outcome.written, recordsRefused: refused });
        ctx.succeeded();
        const reason = errors[0] ?? outcome.errors[0];
        if (refused > 0) ctx.warn(`refused from ${topic}: ${reason}`);
        done(0);
        return;
      } catch (error) {
        ctx.warn(`storing a message of ${topic} failed: ${(error as Error).message}`);
        await sleep(250 * 2 ** attempt, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    }
    // No PUBACK: dropping the connection makes the broker deliver it again from the session.
    this.client?.stream.destroy();
  }

  close(): void {
    // Forced: no DISCONNECT that could end the session, no wait for in-flight acks.
    this.client?.end(true);
  }
}
