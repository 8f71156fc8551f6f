/**
 * Whether PostgreSQL refused a statement for the contents of a row (SQLSTATE class 22, data
 * exception, e.g. 22P05 "unsupported Unicode escape sequence"; class 54, a row or value over
 * a limit), as opposed to an outage. Such an error repeats on every retry of the same rows, so
 * the rows must be found and left out rather than retried.
 */
export function isRowDataError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|54)/.test(code);
}
