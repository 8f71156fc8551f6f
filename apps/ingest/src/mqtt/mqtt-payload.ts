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
  /** The first maxListedErrors refusals. */
  errors: string[];
  /** Refusals in all (lines or points), listed or not. */
  errorCount: number;
}

const result = (batch: LineBatch, errors: string[], errorCount = errors.length): PayloadResult => ({
  batch,
  errors,
  errorCount,
});

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
  maxListedErrors = 100,
): PayloadResult {
  const listed = (errors: string[]): PayloadResult =>
    result(new LineBatch(), errors.slice(0, maxListedErrors), errors.length);
  // Line protocol is checked line by line (a bad byte refuses its line); JSON whole.
  if (!looksLikeJson(payload)) {
    const { batch, errors, errorCount, truncated } = scanLineProtocol(payload, {
      precision: 'ns',
      defaultTimestamp: receivedAt,
      limits,
      fieldTypes,
      maxListedErrors,
    });
    if (truncated) {
      return result(new LineBatch(), [
        `more than ${limits.maxPointsPerBatch} lines, stored or refused`,
      ]);
    }
    return result(
      batch,
      errors.map((error) => `line ${error.line}: ${error.detail}`),
      errorCount,
    );
  }
  if (!isUtf8(payload)) return result(new LineBatch(), ['payload is not valid UTF-8']);
  let body: unknown;
  try {
    body = JSON.parse(utf8Text(payload));
  } catch (error) {
    return result(new LineBatch(), [`payload is not valid JSON: ${(error as Error).message}`]);
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
  if (errors.length > 0) return listed(errors.map((error) => `${error.pointer}: ${error.detail}`));
  const conflicts = fieldTypes
    ? checkPointFieldTypes(points, fieldTypes, limits.unsignedAsInteger)
    : [];
  return conflicts.length > 0
    ? listed(conflicts.map(({ index, detail }) => `/points/${index}: ${detail}`))
    : result(LineBatch.of(points), []);
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
