import { expressionProblem } from './mapping-expression';

describe('expressionProblem', () => {
  const limits = { maxLength: 200, maxDepth: 20 };

  it('accepts an ordinary mapping', () => {
    expect(
      expressionProblem('items.{"measurement": "m", "fields": {"v": $number(v) * 2}}', limits),
    ).toBeUndefined();
  });

  it('refuses an expression over the length limit', () => {
    expect(expressionProblem('a.b'.repeat(100), limits)).toBe(
      'the expression is 300 characters long, over the limit of 200',
    );
  });

  it('refuses an expression nested deeper than the limit, by parentheses or by operators', () => {
    expect(expressionProblem('('.repeat(30) + '1' + ')'.repeat(30), limits)).toMatch(
      /nested too deeply \(over 20 levels\)/,
    );
    expect(expressionProblem(Array(40).fill('1').join('+'), limits)).toMatch(/nested too deeply/);
    expect(expressionProblem(Array(10).fill('1').join('+'), limits)).toBeUndefined();
  });

  it('survives a nesting that overflows the parser and calls it too deep', () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    expect(expressionProblem(deep, { maxLength: 200_000, maxDepth: 20 })).toMatch(
      /nested too deeply/,
    );
  });

  it('names a syntax error', () => {
    expect(expressionProblem('items.{', limits)).toMatch(/^not a JSONata expression: /);
  });
});
