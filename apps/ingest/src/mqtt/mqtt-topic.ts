import { isSubjectToken } from '@iotwins/messaging';

export interface TelemetryTopic {
  tenant: string;
  /** Measurement of JSON points that name none; line protocol names its own. */
  measurement: string | undefined;
}

/**
 * The topic scheme of the MQTT bridge: `<prefix>/<tenant>/telemetry[/<measurement>]`.
 * The broker's ACL lets each gateway publish only under its own tenant.
 */
export function telemetryTopicFilter(prefix: string): string {
  return `${prefix}/+/telemetry/#`;
}

export function parseTelemetryTopic(prefix: string, topic: string): TelemetryTopic | undefined {
  const parts = topic.split('/');
  const prefixParts = prefix.split('/');
  if (parts.length < prefixParts.length + 2) return undefined;
  if (prefixParts.some((part, index) => parts[index] !== part)) return undefined;
  const [tenant, kind, ...rest] = parts.slice(prefixParts.length);
  if (!tenant || !isSubjectToken(tenant) || kind !== 'telemetry') return undefined;
  const measurement = rest.length > 0 ? rest.join('/') : undefined;
  if (measurement === '') return undefined;
  return { tenant, measurement };
}
