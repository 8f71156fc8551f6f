/** A run of whole lines of a text file, for one parse and one ingest call. */
export interface LineChunk {
  /** The lines joined by "\n" (no trailing newline). */
  text: string;
  /** 1-based line number of its first line in the file. */
  firstLine: number;
  lines: number;
}

/**
 * Cuts a UTF-8 byte stream into chunks of at most `maxLines` whole lines, so a file of any
 * size is parsed and ingested in bounded memory. With `csvQuotes`, a cut never falls inside
 * a quoted CSV cell that spans lines (a line with an odd number of `"` opens or closes one).
 * Invalid UTF-8 throws: the file cannot be read as text.
 */
export async function* lineChunks(
  source: AsyncIterable<Uint8Array | string>,
  maxLines: number,
  csvQuotes: boolean,
): AsyncGenerator<LineChunk> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let lines: string[] = [];
  let firstLine = 1;
  let nextLine = 1;
  let inQuotes = false;
  const take = (raw: string): LineChunk | undefined => {
    // CRLF files: the carriage return is not part of the line.
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    lines.push(line);
    nextLine += 1;
    if (csvQuotes && oddQuotes(line)) inQuotes = !inQuotes;
    // A stray quote must not grow a chunk without bound: past twice the size it is cut anyway
    // (the CSV parser then reports the broken cell).
    if (lines.length < maxLines || (inQuotes && lines.length < maxLines * 2)) return undefined;
    inQuotes = false;
    const chunk = { text: lines.join('\n'), firstLine, lines: lines.length };
    lines = [];
    firstLine = nextLine;
    return chunk;
  };
  for await (const part of source) {
    pending += typeof part === 'string' ? part : decoder.decode(part, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const chunk = take(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (chunk) yield chunk;
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending !== '') {
    const chunk = take(pending);
    if (chunk) yield chunk;
  }
  if (lines.length > 0) yield { text: lines.join('\n'), firstLine, lines: lines.length };
}

function oddQuotes(line: string): boolean {
  let count = 0;
  for (let index = line.indexOf('"'); index >= 0; index = line.indexOf('"', index + 1)) count += 1;
  return count % 2 === 1;
}
