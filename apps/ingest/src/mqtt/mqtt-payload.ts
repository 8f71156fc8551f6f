import { isUtf8 } from 'node:buffer';
import {
  LineBatch,
  checkPointFieldTypes,
  parseJsonPoints,
  scanLineProtocol,
  type RequestFieldTypes,
  type TelemetryLimits,
} from '@iotwins/telemetry';
import { utf8Text } from '../body/utf8-text';
import type { TelemetryTopic } from './mqtt-topic';

export interface PayloadResult {
  batch: LineBatch;
  errors: string[];
}

/**
 * An MQTT payload is JSON (one point, or `{ "points": [...] }`, measurement defaulting to the
 * topic's) or line protocol. JSON is all or nothing; line protocol keeps its good lines.
 */
export function parseMqttPayload(
  payload: Buffer,
  topic: TelemetryTopic,
  receivedAt: bigint,
  limits: TelemetryLimits,
  fieldTypes?: RequestFieldTypes,
): PayloadResult {
  // Line protocol is checked line by line (a bad byte refuses its line); JSON whole.
  if (!looksLikeJson(payload)) {
    const { batch, errors, truncated } = scanLineProtocol(payload, {
      precision: 'ns',
      defaultTimestamp: receivedAt,
      limits,
      fieldTypes,
    });
    if (truncated) {
      return { batch: new LineBatch(), errors: [`more than ${limits.maxPointsPerBatch} points`] };
    }
    return { batch, errors: errors.map((error) => `line ${error.line}: ${error.detail}`) };
  }
  if (!isUtf8(payload)) return { batch: new LineBatch(), errors: ['payload is not valid UTF-8'] };
  let body: unknown;
  try {
    body = JSON.parse(utf8Text(payload));
  } catch (error) {
    return {
      batch: new LineBatch(),
      errors: [`payload is not valid JSON: ${(error as Error).message}`],
    };
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
  if (errors.length > 0) {
    return {
      batch: new LineBatch(),
      errors: errors.map((error) => `${error.pointer}: ${error.detail}`),
    };
  }
  const conflicts = fieldTypes
    ? checkPointFieldTypes(points, fieldTypes, limits.unsignedAsInteger)
    : [];
  return conflicts.length > 0
    ? {
        batch: new LineBatch(),
        errors: conflicts.map(({ index, detail }) => `/points/${index}: ${detail}`),
      }
    : { batch: LineBatch.of(points), errors: [] };
}

/** A payload whose first non-blank character is "{" is JSON; anything else is line protocol. */
function looksLikeJson(payload: Buffer): boolean {
  for (const byte of payload) {
    // Leading whitespace, as trimStart would skip it (ASCII is enough: JSON whitespace is ASCII).
    if (byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)) continue;
    return byte === 0x7b;
  }
  return false;
}
