/** nats-server's default max_payload, for a connection that has not told its own yet. */
export const NATS_DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Whether PostgreSQL refused a statement for the contents of a row (SQLSTATE class 22, data
 * exception, e.g. 22P05 "unsupported Unicode escape sequence"; class 54, a row or value over
 * a limit), as opposed to an outage. Such an error repeats on every retry of the same rows, so
 * the rows must be found and left out rather than retried.
 */
export function isRowDataError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|54)/.test(code);
}

/**
 * Whether a failed JetStream publish may succeed later (no connection, no answer in time, no
 * stream answering), as opposed to a refusal of this message (too large, bad subject).
 */
export function isTransientNatsError(error: Error): boolean {
  const text = `${error.name} ${error.message}`;
  return /timeout|no responders|503|closed|disconnect|reconnect|connection/i.test(text);
}
