import type { IngestOutcome } from '../../connector.driver';

export type PayloadFormat = 'auto' | 'json' | 'line-protocol';

/** JSON is a payload whose first non-blank byte is "{", as MQTT ingest tells them apart. */
export function looksLikeJson(payload: Uint8Array): boolean {
  for (const byte of payload) {
    if (byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)) continue;
    return byte === 0x7b;
  }
  return false;
}

/**
 * Why a message cannot be in the configured format, before it is parsed: ingest's payload
 * rules tell JSON from line protocol by the first byte, so a fixed format refuses the other.
 */
export function formatProblem(format: PayloadFormat, payload: Uint8Array): string | undefined {
  if (payload.length === 0) return 'empty message';
  if (format === 'json' && !looksLikeJson(payload))
    return 'expected a JSON point or {"points": [...]}, got something else';
  if (format === 'line-protocol' && looksLikeJson(payload))
    return 'expected line protocol, got JSON';
  return undefined;
}

/** What becomes of a message once ingest answered. */
export type Settlement =
  /** Stored (all, or its good lines): acknowledged; refused lines are counted. */
  | { action: 'ack'; refused: number; reason?: string }
  /** Nothing in it can be stored: rejected without requeue (to the queue's DLX, if any). */
  | { action: 'reject'; reason: string };

/**
 * A message with anything stored is acknowledged (a redelivery would store nothing new);
 * one with nothing storable is rejected for good, so it never loops back to the connector.
 */
export function settle(outcome: IngestOutcome): Settlement {
  if (outcome.written > 0)
    return outcome.refused > 0
      ? { action: 'ack', refused: outcome.refused, reason: outcome.errors[0] }
      : { action: 'ack', refused: 0 };
  if (outcome.refused > 0)
    return { action: 'reject', reason: outcome.errors[0] ?? 'refused by validation' };
  return { action: 'reject', reason: 'the message holds no points' };
}

/** Delay before reconnect attempt `attempt` (0-based): 1 s doubling to 30 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** attempt, 30_000);
}
