import { z } from 'zod';
import { DEFAULT_TELEMETRY_LIMITS, PointError, checkPointShape } from '@iotwins/telemetry';
import type { ConfigProblem } from '../../connector.driver';
import { mqttBrokerFields } from './mqtt-broker';
import { parseTopicPattern } from './mqtt-topic-pattern';

const name = z.string().min(1).max(256);

export const mqttSubscriptionSchema = z
  .object({
    /**
     * Topic levels, `{measurement}` and `{<tag>}` capturing one level each, `+` and a final
     * `#` as plain wildcards: `plant/{line}/{measurement}`. Subscribed with QoS 1.
     */
    topic: z.string().min(1).max(1024),
    /** Measurement of points that name none and whose topic gives none. */
    measurement: name.optional(),
    /** Tags added to every point of this subscription (topic tags and the point's own win). */
    tags: z.record(name, name).default({}),
    /** `auto`: JSON or line protocol, as MQTT ingest takes them; `value`: one bare value. */
    format: z.enum(['auto', 'value']).default('auto'),
    /** Field name of a bare value (`format: "value"`) whose topic captures no `{field}`. */
    field: name.default('value'),
  })
  .strict();
export type MqttSubscription = z.infer<typeof mqttSubscriptionSchema>;

export const mqttSourceConfigSchema = z
  .object({
    ...mqttBrokerFields,
    /**
     * How long the broker keeps the session (subscriptions and messages for it) while the
     * connector is away (MQTT 5; MQTT 3.1.1 brokers keep it as configured).
     */
    sessionExpirySeconds: z
      .number()
      .int()
      .min(60)
      .max(4_294_967_295)
      .default(7 * 24 * 3600),
    subscriptions: z.array(mqttSubscriptionSchema).min(1).max(100),
  })
  .strict();
export type MqttSourceConfig = z.infer<typeof mqttSourceConfigSchema>;

/** The topic patterns parse, and fixed names make valid points. */
export function mqttSourceProblems(config: MqttSourceConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const filters = new Map<string, number>();
  config.subscriptions.forEach((subscription, index) => {
    const pointer = `/config/subscriptions/${index}`;
    const pattern = parseTopicPattern(subscription.topic);
    if (typeof pattern === 'string')
      problems.push({ pointer: `${pointer}/topic`, detail: pattern });
    else {
      const earlier = filters.get(pattern.filter);
      if (earlier !== undefined)
        problems.push({
          pointer: `${pointer}/topic`,
          detail: `subscribes to "${pattern.filter}" as subscription ${earlier} does`,
        });
      else filters.set(pattern.filter, index);
      const captures = pattern.levels.flatMap((level) =>
        level.kind === 'capture' ? [level.name] : [],
      );
      if (subscription.format !== 'value' && captures.includes('field'))
        problems.push({
          pointer: `${pointer}/topic`,
          detail: '"{field}" names the field of a bare value: it needs format "value"',
        });
      if (
        subscription.format === 'value' &&
        subscription.measurement === undefined &&
        !captures.includes('measurement')
      )
        problems.push({
          pointer: `${pointer}/measurement`,
          detail: 'a bare value needs a measurement: set one or capture {measurement} in the topic',
        });
    }
    try {
      const tagKeys = Object.keys(subscription.tags);
      checkPointShape(
        {
          measurement: subscription.measurement ?? 'm',
          tagKeys,
          tagValues: tagKeys.map((key) => subscription.tags[key]!),
          fieldKeys: [subscription.field],
          timestamp: 0n,
        },
        DEFAULT_TELEMETRY_LIMITS,
      );
    } catch (error) {
      if (!(error instanceof PointError)) throw error;
      problems.push({ pointer, detail: error.message });
    }
  });
  return problems;
}
