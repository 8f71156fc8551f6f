import { lineChunks } from './line-chunks';

async function collect(parts: (string | Uint8Array)[], maxLines: number, csvQuotes = false) {
  const chunks = [];
  for await (const chunk of lineChunks(
    (async function* () {
      yield* parts;
    })(),
    maxLines,
    csvQuotes,
  ))
    chunks.push(chunk);
  return chunks;
}

describe('lineChunks', () => {
  it('cuts whole lines into chunks of at most maxLines, numbering their first line', async () => {
    const chunks = await collect(['a\nb', '\nc\nd\n', 'e'], 2);
    expect(chunks).toEqual([
      { text: 'a\nb', firstLine: 1, lines: 2 },
      { text: 'c\nd', firstLine: 3, lines: 2 },
      { text: 'e', firstLine: 5, lines: 1 },
    ]);
  });

  it('joins a multi-byte character split between two reads', async () => {
    const bytes = Buffer.from('x=ü\ny=€\n');
    const chunks = await collect(
      [bytes.subarray(0, 3), bytes.subarray(3, 8), bytes.subarray(8)],
      10,
    );
    expect(chunks).toEqual([{ text: 'x=ü\ny=€', firstLine: 1, lines: 2 }]);
  });

  it('never cuts inside a quoted CSV cell that spans lines', async () => {
    const chunks = await collect(['h\n"one\ntwo"\n3\n'], 1, true);
    expect(chunks.map((chunk) => chunk.text)).toEqual(['h', '"one\ntwo"', '3']);
    expect(chunks.map((chunk) => chunk.firstLine)).toEqual([1, 2, 4]);
  });

  it('drops the carriage return of CRLF lines', async () => {
    const chunks = await collect(['a\r\nb\r\n'], 10);
    expect(chunks).toEqual([{ text: 'a\nb', firstLine: 1, lines: 2 }]);
  });

  it('cuts a chunk a stray quote keeps open at twice its size', async () => {
    const chunks = await collect(['5" pipe\nx\ny\nz\n'], 1, true);
    expect(chunks.map((chunk) => chunk.lines)).toEqual([2, 1, 1]);
  });

  it('refuses bytes that are not UTF-8', async () => {
    await expect(collect([Buffer.from([0x61, 0xff, 0x0a])], 10)).rejects.toThrow();
  });
});
