import {
  parseJsonPoints,
  scanLineProtocol,
  toSerializedPoints,
  type SerializedPoint,
  type TelemetryLimits,
} from '@iotwins/telemetry';
import type { TelemetryTopic } from './mqtt-topic';

export interface PayloadResult {
  points: SerializedPoint[];
  errors: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An MQTT payload is JSON (one point, or `{ "points": [...] }`, measurement defaulting to the
 * topic's) or line protocol. JSON is all or nothing; line protocol keeps its good lines.
 */
export function parseMqttPayload(
  payload: Buffer,
  topic: TelemetryTopic,
  receivedAt: bigint,
  limits: TelemetryLimits,
): PayloadResult {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { points: [], errors: ['payload is not valid UTF-8'] };
  }
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) {
    const { points, errors, truncated } = scanLineProtocol(text, {
      precision: 'ns',
      defaultTimestamp: receivedAt,
      limits,
    });
    if (truncated) return { points: [], errors: [`more than ${limits.maxPointsPerBatch} points`] };
    return { points, errors: errors.map((error) => `line ${error.line}: ${error.detail}`) };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { points: [], errors: [`payload is not valid JSON: ${(error as Error).message}`] };
  }
  const items = Array.isArray((body as { points?: unknown }).points)
    ? (body as { points: unknown[] }).points
    : [body];
  const withMeasurement = items.map((item) =>
    typeof item === 'object' &&
    item !== null &&
    !('measurement' in item) &&
    topic.measurement !== undefined
      ? { measurement: topic.measurement, ...item }
      : item,
  );
  const { points, errors } = parseJsonPoints(
    { points: withMeasurement },
    { precision: 'ms', defaultTimestamp: receivedAt, limits },
  );
  return errors.length > 0
    ? { points: [], errors: errors.map((error) => `${error.pointer}: ${error.detail}`) }
    : { points: toSerializedPoints(points), errors: [] };
}
