import {
  parseJsonPoints,
  type JsonPointError,
  type Point,
  type Precision,
  type TelemetryLimits,
} from '@iotwins/telemetry';
import type { MappingEvaluator } from './sandbox/mapping-sandbox';

export { MappingBudgetError, MappingError, MappingInputError } from './sandbox/mapping-errors';

export interface MappedPoints {
  /** Objects the mapping produced, valid or not: the connector's "records read". */
  records: number;
  points: Point[];
  errors: JsonPointError[];
  /** The value of the `next` expression, when one was given (the poller's next link). */
  next?: unknown;
}

/**
 * Applies a connector's JSONata mapping to one JSON document, in the mapping sandbox (a
 * worker with a time and heap budget, never the event loop), and validates what it yields
 * with the same parser, limits and types as POST /v1/points, so a connector cannot store what
 * the HTTP API would refuse. `next`, when given, is evaluated on the same document in the same
 * turn. Rejects with MappingError, MappingInputError or MappingBudgetError.
 */
export async function mapDocument(
  sandbox: MappingEvaluator,
  tenant: string,
  expressions: { mapping: string; next?: string },
  documentText: string,
  options: { precision: Precision; defaultTimestamp: bigint; limits: TelemetryLimits },
): Promise<MappedPoints> {
  const [result, next] = await sandbox.evaluate(
    tenant,
    expressions.next === undefined
      ? [expressions.mapping]
      : [expressions.mapping, expressions.next],
    documentText,
  );
  // JSONata gives undefined for no match and a single value for a one-element sequence.
  const candidates = result === undefined ? [] : Array.isArray(result) ? result : [result];
  if (candidates.length === 0) return { records: 0, points: [], errors: [], next };
  const { points, errors } = parseJsonPoints({ points: candidates }, options);
  return { records: candidates.length, points, errors, next };
}
