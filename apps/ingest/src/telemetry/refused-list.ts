/**
 * What an answer says of refused lines or points: the first `max` of them and how many there
 * were in all. A body may hold 50,000 bad lines; naming each one made answers larger than a
 * NATS message may be (issue 19), so every path names a bounded few and counts the rest.
 */
// A type, not an interface: it spreads into a problem's extension members.
export type RefusedList<T> = {
  errors: T[];
  /** Refused in all, named or not. */
  errorCount: number;
};

export function refusedList<T>(
  errors: readonly T[],
  max: number,
  count: number = errors.length,
): RefusedList<T> {
  return { errors: errors.slice(0, max), errorCount: Math.max(count, errors.length) };
}
