import { isUtf8 } from 'node:buffer';
import { ProblemException } from '@iotwins/http';
import {
  LineBatch,
  checkPointFieldTypes,
  parseJsonPoints,
  scanLineProtocol,
  type LineError,
  type RequestFieldTypes,
} from '@iotwins/telemetry';
import { utf8Text } from '../body/utf8-text';
import { precisionOf } from '../points/points.controller';
import type { WriteContext } from '../telemetry/ingest.service';
import { refusedList } from '../telemetry/refused-list';

export interface ParsedRequest {
  batch: LineBatch;
  /** Bad lines of a line-protocol body (the first maxListedErrors); the good lines are stored, as /write does. */
  lineErrors: readonly LineError[];
  /** Bad lines in all, listed or not. */
  lineErrorCount: number;
}

/**
 * Reads the body of an ingest.<tenant>.<measurement> request with the same parsers, limits
 * and problem details as the HTTP API: JSON points (all or nothing, as POST /v1/points) or
 * line protocol (good lines kept, bad ones listed, as /write). `fieldTypes` are the tenant's
 * (IngestService.withFieldTypes): a field stored with another type refuses its point as HTTP does.
 */
export function parseIngestRequest(
  body: Uint8Array,
  contentType: string | undefined,
  precision: string | undefined,
  measurement: string,
  context: WriteContext,
  maxBodyBytes: number,
  fieldTypes?: RequestFieldTypes,
): ParsedRequest {
  if (body.length > maxBodyBytes) {
    throw ProblemException.of(
      413,
      'body-too-large',
      `A request body may hold at most ${maxBodyBytes} bytes`,
    );
  }
  if (!isUtf8(body))
    throw ProblemException.of(400, 'invalid-encoding', 'The body is not valid UTF-8');
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const json = type === '' ? firstCharacterIsBrace(body) : type === 'application/json';
  if (!json && type !== '' && type !== 'text/plain') {
    throw ProblemException.of(
      415,
      'unsupported-media-type',
      'Send JSON points as application/json or line protocol as text/plain',
    );
  }
  return json
    ? parseJson(body, precision, measurement, context, fieldTypes)
    : parseLines(body, precision, context, fieldTypes);
}

function parseJson(
  body: Uint8Array,
  precision: string | undefined,
  measurement: string,
  context: WriteContext,
  fieldTypes: RequestFieldTypes | undefined,
): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(utf8Text(body));
  } catch (error) {
    throw ProblemException.of(
      400,
      'invalid-json',
      `The body is not valid JSON: ${(error as Error).message}`,
    );
  }
  // One point, or { "points": [...] }; the measurement defaults to the subject's.
  const items = Array.isArray((value as { points?: unknown } | null)?.points)
    ? (value as { points: unknown[] }).points
    : [value];
  const withMeasurement = items.map((item) =>
    typeof item === 'object' && item !== null && !('measurement' in item)
      ? { measurement, ...item }
      : item,
  );
  const { points, errors } = parseJsonPoints(
    { points: withMeasurement },
    {
      precision: precisionOf(precision, 'ms'),
      defaultTimestamp: context.receivedAt,
      limits: context.limits,
    },
  );
  if (errors.length > 0) {
    throw ProblemException.of(
      400,
      'invalid-points',
      `${errors.length} point(s) are invalid; nothing was stored`,
      refusedList(errors, context.maxListedErrors),
    );
  }
  const conflicts = fieldTypes
    ? checkPointFieldTypes(points, fieldTypes, context.limits.unsignedAsInteger)
    : [];
  if (conflicts.length > 0) {
    throw ProblemException.of(
      400,
      'invalid-points',
      `${conflicts.length} point(s) conflict with stored field types; nothing was stored`,
      refusedList(
        conflicts.slice(0, context.maxListedErrors).map(({ index, detail }) => ({
          index,
          pointer: `/points/${index}/fields`,
          detail,
        })),
        context.maxListedErrors,
        conflicts.length,
      ),
    );
  }
  return { batch: LineBatch.of(points), lineErrors: [], lineErrorCount: 0 };
}

function parseLines(
  body: Uint8Array,
  precision: string | undefined,
  context: WriteContext,
  fieldTypes: RequestFieldTypes | undefined,
): ParsedRequest {
  const { batch, errors, errorCount, truncated } = scanLineProtocol(Buffer.from(body), {
    precision: precisionOf(precision, 'ns'),
    defaultTimestamp: context.receivedAt,
    limits: context.limits,
    fieldTypes,
    maxListedErrors: context.maxListedErrors,
  });
  if (truncated) {
    throw ProblemException.of(
      413,
      'too-many-points',
      `A batch may hold at most ${context.limits.maxPointsPerBatch} lines, stored or refused; nothing was stored`,
    );
  }
  if (batch.size === 0 && errorCount === 0)
    throw ProblemException.of(400, 'no-points', 'The body holds no line protocol');
  return { batch, lineErrors: errors, lineErrorCount: errorCount };
}

function firstCharacterIsBrace(body: Uint8Array): boolean {
  for (const byte of body) {
    if (byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)) continue;
    return byte === 0x7b;
  }
  return false;
}
