/** The mapping itself failed (a JSONata error, `$error(...)`, a stack overflow): the tenant's to fix. */
export class MappingError extends Error {}

/** The document given to the mapping is not JSON (e.g. an API page that is not). */
export class MappingInputError extends Error {}

/**
 * The mapping, or its input or output, went over a budget of the sandbox: time, heap, bytes,
 * or this tenant's share of the workers. The message names the budget, for a problem or a
 * connector's status.
 */
export class MappingBudgetError extends Error {
  constructor(
    readonly budget: 'time' | 'memory' | 'input' | 'output' | 'busy',
    message: string,
  ) {
    super(message);
  }
}
