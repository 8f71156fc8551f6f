/** Copies the first part.length bytes of the chunks into part; returns the chunks left. */
export function fill(part: Buffer, chunks: Buffer[]): Buffer[] {
  let filled = 0;
  let index = 0;
  while (filled < part.length) {
    const chunk = chunks[index]!;
    const copied = chunk.copy(part, filled, 0, Math.min(chunk.length, part.length - filled));
    filled += copied;
    if (copied < chunk.length) return [chunk.subarray(copied), ...chunks.slice(index + 1)];
    index += 1;
  }
  return chunks.slice(index);
}
