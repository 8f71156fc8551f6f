/**
 * Removes and returns the first messages of `waiting`: at most `maxMessages`, and no more
 * than `maxBytes` of bodies unless the first alone is larger.
 */
export function takeBatch<T extends { data: Uint8Array }>(
  waiting: T[],
  maxMessages: number,
  maxBytes: number,
): T[] {
  let count = 0;
  let size = 0;
  while (count < waiting.length && count < maxMessages) {
    const next = waiting[count]!.data.length;
    if (count > 0 && size + next > maxBytes) break;
    size += next;
    count += 1;
  }
  return waiting.splice(0, count);
}
