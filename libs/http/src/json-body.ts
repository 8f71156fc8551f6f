import secureJson from 'secure-json-parse';
import { ProblemException } from './problem-details';

/**
 * Deepest nesting of arrays and objects a request body may have. Real payloads stay far
 * below it; a hostile one nested thousands deep would overflow the stack of whatever walks it
 * later (validation, serialisation) and answer 500 instead of 400.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;

/** Whether the JSON text nests arrays and objects deeper than `max`, strings skipped. */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
      continue;
    }
    if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return false;
}

/**
 * Every app's JSON request bodies: too deep a nesting, `__proto__` or `constructor` keys and
 * invalid JSON are the caller's mistakes, answered 400 with what was wrong.
 */
export function parseJsonBody(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDeeperThan(text, maxDepth)) {
    throw ProblemException.of(
      400,
      'invalid-json',
      `The body nests arrays and objects deeper than ${maxDepth} levels`,
    );
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw ProblemException.of(
      400,
      'invalid-json',
      `The body is not valid JSON: ${(error as Error).message}`,
    );
  }
}
