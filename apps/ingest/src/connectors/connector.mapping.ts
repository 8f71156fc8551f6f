import jsonata from 'jsonata';
import {
  parseJsonPoints,
  type JsonPointError,
  type Point,
  type Precision,
  type TelemetryLimits,
} from '@iotwins/telemetry';

export interface MappedPoints {
  /** Objects the mapping produced, valid or not: the connector's "records read". */
  records: number;
  points: Point[];
  errors: JsonPointError[];
}

export class MappingError extends Error {}

/**
 * Applies a connector's JSONata mapping to one document and validates what it yields with
 * the same parser, limits and types as POST /v1/points, so a connector cannot store what the
 * HTTP API would refuse.
 */
export async function mapDocument(
  expression: string,
  document: unknown,
  options: { precision: Precision; defaultTimestamp: bigint; limits: TelemetryLimits },
): Promise<MappedPoints> {
  let result: unknown;
  try {
    result = await jsonata(expression).evaluate(document);
  } catch (error) {
    throw new MappingError(`the mapping failed: ${(error as Error).message}`);
  }
  // JSONata gives undefined for no match and a single value for a one-element sequence.
  const candidates = result === undefined ? [] : Array.isArray(result) ? result : [result];
  if (candidates.length === 0) return { records: 0, points: [], errors: [] };
  const { points, errors } = parseJsonPoints({ points: candidates }, options);
  return { records: candidates.length, points, errors };
}

/** Parses an expression once to report a syntax error at create time. */
export function mappingSyntaxError(expression: string): string | undefined {
  try {
    jsonata(expression);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
