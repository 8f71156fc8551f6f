/**
 * The code of a mapping worker process, as source text: the pool starts it with `node -e`, so
 * the same code runs from the compiled app and from the TypeScript specs (node cannot load a
 * .ts file). Plain CommonJS, no imports beyond jsonata, whose resolved path comes in the
 * environment (`-e` code resolves modules from the working directory). It talks to the pool
 * over the IPC channel and exits when the channel closes (ingest stopped or was killed).
 *
 * One message in: `{ id, expressions, inputText, maxOutputBytes }`. One message out:
 * `{ id, results }` (each result JSON text, or null for no match) or
 * `{ id, error: { kind, message } }`. Compiled expressions are kept, up to a bound, since a
 * running connector evaluates the same mapping on every page.
 */
export const MAPPING_WORKER_SOURCE = String.raw`
'use strict';
const jsonata = require(process.env.IOTWINS_JSONATA_PATH);
process.on('disconnect', () => process.exit(0));
// Loaded: the pool starts an evaluation's clock only now, so a slow start costs no budget.
process.send({ ready: true });
const compiled = new Map();
const MAX_COMPILED = 64;

function compile(expression) {
  let found = compiled.get(expression);
  if (!found) {
    found = jsonata(expression);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value);
    compiled.set(expression, found);
  }
  return found;
}

class Refusal extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

process.on('message', async (task) => {
  try {
    let input;
    try {
      input = JSON.parse(task.inputText);
    } catch {
      throw new Refusal('input', 'the document is not JSON');
    }
    const results = [];
    let size = 0;
    for (const expression of task.expressions) {
      const value = await compile(expression).evaluate(input);
      const text = value === undefined ? null : JSON.stringify(value);
      size += text === null || text === undefined ? 0 : text.length;
      if (size > task.maxOutputBytes)
        throw new Refusal(
          'output',
          'the mapping gave more than ' + task.maxOutputBytes + ' bytes of JSON',
        );
      results.push(text === undefined ? null : text);
    }
    process.send({ id: task.id, results });
  } catch (error) {
    const message = error && typeof error.message === 'string' ? error.message : String(error);
    process.send({
      id: task.id,
      error: { kind: (error && error.kind) || 'mapping', message },
    });
  }
});
`;
