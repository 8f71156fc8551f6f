import { isUtf8 } from 'node:buffer';
import {
  PointError,
  checkPointLimits,
  parseJsonPoints,
  parseLineProtocol,
  type Point,
  type TelemetryLimits,
} from '@iotwins/telemetry';

export interface PayloadTarget {
  /** Measurement of points that name none (from the topic or the subscription). */
  measurement: string | undefined;
  /** Tags added to every point; a tag the point names itself wins. */
  tags: Record<string, string>;
  /** `auto`: JSON (`{...}` or `{ "points": [...] }`) or line protocol; `value`: one bare value. */
  format: 'auto' | 'value';
  /** Field name of a bare value. */
  field: string;
}

export interface PayloadPoints {
  points: Point[];
  errors: string[];
}

/**
 * A message of a testbed's broker as points, with the measurement and tags its topic gives:
 * JSON is all or nothing (integer times in ms), line protocol keeps its good lines (times in
 * ns), as MQTT ingest takes them; a bare value (`21.5`, `true`, `RUNNING`) becomes one field
 * stamped with the receive time.
 */
export function payloadPoints(
  payload: Buffer,
  target: PayloadTarget,
  limits: TelemetryLimits,
  receivedAt: bigint,
): PayloadPoints {
  if (!isUtf8(payload)) return { points: [], errors: ['payload is not valid UTF-8'] };
  const text = payload.toString('utf8');
  if (target.format === 'value') return bareValue(text.trim(), target, limits, receivedAt);
  if (text.trimStart().startsWith('{')) return jsonPoints(text, target, limits, receivedAt);
  const parsed = parseLineProtocol(text, { precision: 'ns', defaultTimestamp: receivedAt, limits });
  const errors = parsed.errors.map((error) => `line ${error.line}: ${error.detail}`);
  if (parsed.truncated)
    return { points: [], errors: [`more than ${limits.maxPointsPerBatch} points`] };
  const points: Point[] = [];
  for (const point of parsed.points) {
    const tagged = withTags(point, target.tags);
    const problem = limitProblem(tagged, limits);
    if (problem) errors.push(`${point.measurement}: ${problem}`);
    else points.push(tagged);
  }
  return { points, errors };
}

function jsonPoints(
  text: string,
  target: PayloadTarget,
  limits: TelemetryLimits,
  receivedAt: bigint,
): PayloadPoints {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { points: [], errors: [`payload is not valid JSON: ${(error as Error).message}`] };
  }
  const items = Array.isArray((body as { points?: unknown }).points)
    ? (body as { points: unknown[] }).points
    : [body];
  const completed = items.map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const own = (item as { tags?: unknown }).tags;
    return {
      ...(target.measurement === undefined ? {} : { measurement: target.measurement }),
      ...item,
      tags:
        typeof own === 'object' && own !== null && !Array.isArray(own)
          ? { ...target.tags, ...own }
          : own === undefined
            ? target.tags
            : own,
    };
  });
  const { points, errors } = parseJsonPoints(
    { points: completed },
    { precision: 'ms', defaultTimestamp: receivedAt, limits },
  );
  return errors.length > 0
    ? { points: [], errors: errors.map((error) => `${error.pointer}: ${error.detail}`) }
    : { points, errors: [] };
}

function bareValue(
  text: string,
  target: PayloadTarget,
  limits: TelemetryLimits,
  receivedAt: bigint,
): PayloadPoints {
  if (target.measurement === undefined)
    return {
      points: [],
      errors: ['a bare value needs a measurement from the topic or the subscription'],
    };
  if (text === '') return { points: [], errors: ['empty payload'] };
  const number = Number(text);
  const value =
    /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) && Number.isFinite(number)
      ? { type: 'float' as const, value: number }
      : text === 'true' || text === 'false'
        ? { type: 'boolean' as const, value: text === 'true' }
        : { type: 'string' as const, value: text };
  const point: Point = {
    measurement: target.measurement,
    tags: { ...target.tags },
    fields: { [target.field]: value },
    timestamp: receivedAt,
  };
  const problem = limitProblem(point, limits);
  return problem ? { points: [], errors: [problem] } : { points: [point], errors: [] };
}

/** The point with the topic's tags under its own; its cached line no longer says it all. */
function withTags(point: Point, tags: Record<string, string>): Point {
  if (Object.keys(tags).length === 0) return point;
  const tagged: Point = { ...point, tags: { ...tags, ...point.tags } };
  delete tagged.line;
  return tagged;
}

function limitProblem(point: Point, limits: TelemetryLimits): string | undefined {
  try {
    checkPointLimits(point, limits);
    return undefined;
  } catch (error) {
    if (error instanceof PointError) return error.message;
    throw error;
  }
}
