import jsonata from 'jsonata';

export interface ExpressionLimits {
  /** Characters of one expression. */
  readonly maxLength: number;
  /** Levels of the parsed expression (nested operators, blocks, calls). */
  readonly maxDepth: number;
}

/**
 * Why a tenant's JSONata expression is refused before it ever runs: too long, nested too
 * deeply (the parser and the evaluator recurse once per level, so depth is what a stack
 * overflow needs), or not JSONata. Undefined when it may run. Parsing happens here, on the
 * caller's thread: its cost is bounded by the length; evaluating is the sandbox's.
 */
export function expressionProblem(
  expression: string,
  limits: ExpressionLimits,
): string | undefined {
  if (expression.length > limits.maxLength)
    return `the expression is ${expression.length} characters long, over the limit of ${limits.maxLength}`;
  let ast: unknown;
  try {
    ast = jsonata(expression).ast();
  } catch (error) {
    if (error instanceof RangeError)
      return `the expression is nested too deeply (over ${limits.maxDepth} levels)`;
    return `not a JSONata expression: ${(error as Error).message}`;
  }
  const depth = astDepth(ast, limits.maxDepth);
  if (depth > limits.maxDepth)
    return `the expression is nested too deeply (over ${limits.maxDepth} levels)`;
  return undefined;
}

/**
 * Depth of a parsed expression, counted in nodes (objects with a `type`), without recursion;
 * stops counting past `stopAt`. The AST may share nodes, so each is visited once.
 */
function astDepth(root: unknown, stopAt: number): number {
  let deepest = 0;
  const seen = new Set<object>();
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    const level = !Array.isArray(value) && 'type' in value ? depth + 1 : depth;
    if (level > deepest) deepest = level;
    if (deepest > stopAt) return deepest;
    for (const child of Object.values(value)) stack.push([child, level]);
  }
  return deepest;
}
