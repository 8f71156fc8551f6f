/**
 * The encoded reply to an ingest request, never larger than the connection's max_payload:
 * publishing a larger one throws, and that once ended the process (issue 19). Answers already
 * name a bounded number of refused lines; names and details can still be long, so the list
 * is halved until the reply fits, and a reply that still does not fit keeps only its status.
 */
export function boundedReply(answer: object, maxPayload: number): Uint8Array {
  let current: Record<string, unknown> = { ...answer };
  for (;;) {
    const encoded = Buffer.from(JSON.stringify(current));
    if (encoded.length <= maxPayload) return encoded;
    const errors = current.errors;
    if (!Array.isArray(errors) || errors.length === 0) break;
    current = { ...current, errors: errors.slice(0, Math.floor(errors.length / 2)) };
  }
  const { type, title, status, errorCount, written } = answer as Record<string, unknown>;
  return Buffer.from(
    JSON.stringify({
      type,
      title,
      status,
      detail: 'The answer was too large for a NATS message; its list of refused lines is left out',
      written,
      errorCount,
    }),
  );
}
