import { jsonDeeperThan, parseJsonBody } from './json-body';
import { ProblemException } from './problem-details';

describe('JSON request bodies', () => {
  it('refuses a body nested 50,000 deep with a 400, not a stack overflow', () => {
    for (const body of [
      '['.repeat(50_000) + ']'.repeat(50_000),
      '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000),
    ]) {
      let caught: unknown;
      try {
        parseJsonBody(body);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ProblemException);
      expect((caught as ProblemException).problem).toMatchObject({
        status: 400,
        detail: expect.stringMatching(/deeper than 64/),
      });
    }
  });

  it('counts only real nesting, not brackets inside strings', () => {
    expect(jsonDeeperThan(JSON.stringify({ a: '[[[[[[{{{{{{\\"' }), 2)).toBe(false);
    expect(jsonDeeperThan('[[[1]]]', 2)).toBe(true);
    expect(parseJsonBody('{"points":[{"fields":{"v":1}}]}')).toEqual({
      points: [{ fields: { v: 1 } }],
    });
  });

  it('refuses invalid JSON and prototype keys with a 400', () => {
    expect(() => parseJsonBody('{"a":')).toThrow(ProblemException);
    expect(() => parseJsonBody('{"__proto__":{"x":1}}')).toThrow(ProblemException);
  });
});
