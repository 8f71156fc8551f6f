import {
  DEFAULT_TELEMETRY_LIMITS,
  formatRfc3339Nanoseconds,
  parseLineProtocol,
  type FieldValue,
} from '@iotwins/telemetry';

/** Stored telemetry was validated on the way in: only the line count is not bounded again. */
const STORED_LIMITS = { ...DEFAULT_TELEMETRY_LIMITS, maxPointsPerBatch: Number.MAX_SAFE_INTEGER };

/**
 * A telemetry message (canonical line protocol, ns) as JSON in the shape `POST /v1/points`
 * takes: `{ "points": [{ measurement, tags, fields, time }] }`, 64-bit integers as typed
 * decimal strings so no digit is lost, times in RFC 3339 with nanoseconds.
 */
export function telemetryAsJson(body: Uint8Array): Buffer {
  const { points } = parseLineProtocol(Buffer.from(body).toString('utf8'), {
    precision: 'ns',
    defaultTimestamp: 0n,
    limits: STORED_LIMITS,
  });
  return Buffer.from(
    JSON.stringify({
      points: points.map((point) => ({
        measurement: point.measurement,
        tags: point.tags,
        fields: Object.fromEntries(
          Object.entries(point.fields).map(([key, field]) => [key, jsonField(field)]),
        ),
        time: formatRfc3339Nanoseconds(point.timestamp),
      })),
    }),
  );
}

function jsonField(field: FieldValue): unknown {
  switch (field.type) {
    case 'integer':
    case 'uinteger':
      return { type: field.type, value: field.value.toString() };
    case 'float':
    case 'boolean':
    case 'string':
      return field.value;
  }
}
