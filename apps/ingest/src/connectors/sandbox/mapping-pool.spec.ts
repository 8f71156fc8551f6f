import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MappingBudgetError, MappingError } from './mapping-errors';
import { MappingPool, type MappingPoolOptions } from './mapping-pool';

// A hundred times the mapping (`$count([1..1000000].($ * 2))`, which a warm worker on a
// fast machine may finish within a second): seconds of CPU anywhere, little memory.
const RUNAWAY = '$count([1..100].($count([1..1000000].($ * 2))))';
// A 10-million-element array: hundreds of MB within a second.
const HOG = '$count([1..10000000])';

describe('MappingPool', () => {
  const pools: MappingPool[] = [];
  const pool = (overrides: Partial<MappingPoolOptions> = {}) => {
    const made = new MappingPool({
      workers: 2,
      tenantConcurrency: 1,
      tenantQueue: 4,
      timeoutMs: 500,
      heapMb: 128,
      maxInputBytes: 64 * 1024,
      maxOutputBytes: 64 * 1024,
      ...overrides,
    });
    made.warm();
    pools.push(made);
    return made;
  };
  afterAll(() => Promise.all(pools.map((made) => made.close())));

  it('evaluates several expressions on one document', async () => {
    await expect(
      pool().evaluate('t', ['a', 'b.c', 'x'], '{"a":1,"b":{"c":[1,2]}}'),
    ).resolves.toEqual([1, [1, 2], undefined]);
  });

  it('stops a runaway mapping at its time budget without holding the event loop, then evaluates again', async () => {
    const sandbox = pool({ workers: 1, timeoutMs: 1_500 });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    await expect(sandbox.evaluate('t', [RUNAWAY], '{}')).rejects.toThrow(
      new MappingBudgetError('time', 'the mapping exceeded its time budget of 1500 ms'),
    );
    delay.disable();
    expect(Date.now() - started).toBeLessThan(4_000);
    // The loop kept turning while the worker spun (a blocked loop would show 1,500 ms).
    expect(delay.max / 1e6).toBeLessThan(500);
    await expect(sandbox.evaluate('t', ['$sum(a)'], '{"a":[1,2,3]}')).resolves.toEqual([6]);
  });

  it('stops a mapping that allocates past its heap budget', async () => {
    const sandbox = pool({ workers: 1, heapMb: 32, timeoutMs: 20_000 });
    const failure = await sandbox.evaluate('t', [HOG], '{}').catch((error: Error) => error);
    expect(failure).toBeInstanceOf(MappingBudgetError);
    expect((failure as MappingBudgetError).budget).toBe('memory');
    expect((failure as Error).message).toBe('the mapping exceeded its memory budget of 32 MB');
    await expect(sandbox.evaluate('t', ['1 + 1'], '{}')).resolves.toEqual([2]);
  }, 30_000);

  it('refuses input and output over their limits', async () => {
    const sandbox = pool();
    await expect(
      sandbox.evaluate('t', ['a'], JSON.stringify({ a: 'x'.repeat(70_000) })),
    ).rejects.toThrow(/over the mapping's input limit of 65536 bytes/);
    await expect(sandbox.evaluate('t', ['$pad("", 70000, "x")'], '{}')).rejects.toThrow(
      new MappingBudgetError('output', 'the mapping gave more than 65536 bytes of JSON'),
    );
  });

  it('reports a failing expression as a mapping error, and survives unbounded recursion', async () => {
    const sandbox = pool({ timeoutMs: 2_000 });
    await expect(sandbox.evaluate('t', ['$error("no")'], '{}')).rejects.toThrow(
      new MappingError('the mapping failed: no'),
    );
    // JSONata recurses on the heap (async frames) as much as on the stack: either budget.
    await expect(
      sandbox.evaluate(
        't',
        ['($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000000))'],
        '{}',
      ),
    ).rejects.toThrow(/exceeded its memory budget|Maximum call stack size|time budget/);
    await expect(sandbox.evaluate('t', ['1'], '{}')).resolves.toEqual([1]);
  }, 15_000);

  it("keeps another tenant's evaluation prompt while one tenant's runaways fill its queue", async () => {
    const sandbox = pool({ workers: 2, tenantConcurrency: 1, tenantQueue: 1, timeoutMs: 3_000 });
    // One runs, one waits: the tenant's queue is full.
    const runaways = Array.from({ length: 2 }, () =>
      sandbox.evaluate('tenant-a', [RUNAWAY], '{}').catch((error: Error) => error),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await expect(sandbox.evaluate('tenant-b', ['$sum(a)'], '{"a":[1,2]}')).resolves.toEqual([3]);
    // Tenant A runs one at a time, so the other worker is free for tenant B: it does not wait
    // for the 3 s budget of the runaway.
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(sandbox.evaluate('tenant-a', ['1'], '{}')).rejects.toThrow(
      /mapping evaluations of this tenant are waiting already/,
    );
    for (const outcome of await Promise.all(runaways))
      expect((outcome as MappingBudgetError).budget).toBe('time');
  }, 20_000);
});
