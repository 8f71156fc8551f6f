import { z } from 'zod';
import type { ConfigProblem } from '../../connector.driver';
import { sinkSourceField } from '../../connector.sink';
import { mqttBrokerFields, mqttBrokerProblems } from '../mqtt-source/mqtt-broker';
import { topicTemplateProblem } from './mqtt-sink.topic';

export const mqttSinkConfigSchema = z
  .object({
    ...mqttBrokerFields,
    /** The tenant's telemetry or events this sink delivers. */
    source: sinkSourceField,
    /** Topic of each message, e.g. `iotwins/{tenant}/{measurement}` (see mqtt-sink.topic). */
    topic: z.string().min(1).max(1024),
    /** Telemetry as stored (`line-protocol`, the default) or as JSON points; events are JSON. */
    format: z.enum(['line-protocol', 'json']).default('line-protocol'),
    retain: z.boolean().default(false),
  })
  .strict();
export type MqttSinkConfig = z.infer<typeof mqttSinkConfigSchema>;

export function mqttSinkProblems(config: MqttSinkConfig): ConfigProblem[] {
  const problems = mqttBrokerProblems(config);
  const topic = topicTemplateProblem(config.topic, config.source.stream);
  if (topic) problems.push({ pointer: '/config/topic', detail: topic });
  if (config.source.stream === 'events' && config.format !== 'line-protocol')
    problems.push({
      pointer: '/config/format',
      detail: 'events are always sent as their JSON envelope',
    });
  return problems;
}
