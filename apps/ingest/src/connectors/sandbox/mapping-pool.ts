import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { MappingBudgetError, MappingError, MappingInputError } from './mapping-errors';
import { MAPPING_WORKER_SOURCE } from './mapping.worker-source';

export interface MappingPoolOptions {
  /** Worker threads, started at once and replaced when one is stopped. */
  readonly workers: number;
  /** Evaluations of one tenant running at the same time, so one tenant never holds every worker. */
  readonly tenantConcurrency: number;
  /** Evaluations of one tenant waiting for a worker; more are refused at once (busy). */
  readonly tenantQueue: number;
  /** Wall time of one evaluation (parse, every expression, results); then the worker is killed. */
  readonly timeoutMs: number;
  /** Old-generation heap of a worker; a mapping that needs more ends its worker. */
  readonly heapMb: number;
  readonly maxInputBytes: number;
  readonly maxOutputBytes: number;
}

interface Task {
  readonly tenant: string;
  readonly id: number;
  readonly expressions: readonly string[];
  readonly inputText: string;
  resolve(results: unknown[]): void;
  reject(error: Error): void;
}

interface Slot {
  worker?: ChildProcess;
  /** The end of the worker's stderr, to tell a heap overrun from another death. */
  stderr?: string;
  /** Whether the worker has loaded jsonata and said so. */
  ready?: boolean;
  task?: Task;
  timer?: NodeJS.Timeout;
}

type Reply =
  | { ready: true }
  | { id: number; results: (string | null)[] }
  | { id: number; error: { kind: string; message: string } };

/**
 * Evaluates tenants' JSONata expressions in worker processes, never on the event loop that
 * serves HTTP, MQTT, gRPC and the NATS auth callout: a worker that runs over its time budget
 * is killed and replaced, one over its heap budget (node's --max-old-space-size) dies alone,
 * and the app carries on. Processes, not worker threads: a worker thread that exhausts its
 * `resourceLimits` heap quickly can abort the whole process (nodejs/node#47224, seen here with
 * a mapping that builds strings in a loop), and a worker process has no access to ingest's
 * memory or environment (its secrets) at all. Tenants take turns: each has its own queue, served round-robin, and
 * at most `tenantConcurrency` of its evaluations run at once, so one tenant's runaway mappings
 * keep at most that many workers busy and another tenant's evaluation waits at most for one
 * time budget.
 */
export class MappingPool {
  private readonly slots: Slot[];
  private readonly queues = new Map<string, Task[]>();
  private readonly running = new Map<string, number>();
  /** Tenants with waiting tasks, in the order they are served next. */
  private turn: string[] = [];
  private nextId = 0;
  private closed = false;
  private readonly jsonataPath = require.resolve('jsonata');

  constructor(readonly options: MappingPoolOptions) {
    this.slots = Array.from({ length: options.workers }, () => ({}));
  }

  /** Starts the workers now rather than on the first evaluation. */
  warm(): void {
    for (const slot of this.slots) slot.worker ??= this.spawn(slot);
  }

  /**
   * The value of each expression on the JSON document `inputText` (undefined for no match).
   * Rejects with MappingError (the expression failed), MappingInputError (not JSON) or
   * MappingBudgetError (time, heap, bytes, or too many of this tenant's evaluations waiting).
   */
  evaluate(tenant: string, expressions: readonly string[], inputText: string): Promise<unknown[]> {
    if (this.closed) return Promise.reject(new Error('the mapping sandbox is shut down'));
    const inputBytes = Buffer.byteLength(inputText);
    if (inputBytes > this.options.maxInputBytes) {
      return Promise.reject(
        new MappingBudgetError(
          'input',
          `the document is ${inputBytes} bytes, over the mapping's input limit of ${this.options.maxInputBytes} bytes`,
        ),
      );
    }
    const queue = this.queues.get(tenant) ?? [];
    if (queue.length >= this.options.tenantQueue) {
      return Promise.reject(
        new MappingBudgetError(
          'busy',
          `${queue.length} mapping evaluations of this tenant are waiting already; retry later`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      queue.push({ tenant, id: ++this.nextId, expressions, inputText, resolve, reject });
      if (!this.queues.has(tenant)) {
        this.queues.set(tenant, queue);
        this.turn.push(tenant);
      }
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values())
      for (const task of queue) task.reject(new Error('the mapping sandbox is shut down'));
    this.queues.clear();
    this.turn = [];
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.task) this.finish(slot, new Error('the mapping sandbox is shut down'));
        const worker = slot.worker;
        slot.worker = undefined;
        if (!worker || worker.exitCode !== null || worker.signalCode !== null) return;
        const exited = new Promise((done) => worker.once('exit', done));
        worker.kill('SIGKILL');
        await exited;
      }),
    );
  }

  /** Gives each free worker the next task of the next tenant whose turn it is and who has room. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task || this.closed) continue;
      const task = this.nextTask();
      if (!task) return;
      this.start(slot, task);
    }
  }

  private nextTask(): Task | undefined {
    for (let i = 0; i < this.turn.length; i++) {
      const tenant = this.turn[i]!;
      if ((this.running.get(tenant) ?? 0) >= this.options.tenantConcurrency) continue;
      const queue = this.queues.get(tenant)!;
      const task = queue.shift()!;
      // This tenant goes to the back of the line (or out of it when it has nothing left).
      this.turn.splice(i, 1);
      if (queue.length > 0) this.turn.push(tenant);
      else this.queues.delete(tenant);
      return task;
    }
    return undefined;
  }

  private start(slot: Slot, task: Task): void {
    slot.worker ??= this.spawn(slot);
    slot.task = task;
    this.running.set(task.tenant, (this.running.get(task.tenant) ?? 0) + 1);
    if (slot.ready) this.send(slot, task);
    // Otherwise the worker's ready message sends it.
  }

  /** Hands a task to a ready worker and starts its clock. */
  private send(slot: Slot, task: Task): void {
    slot.timer = setTimeout(() => {
      this.stop(slot);
      this.finish(
        slot,
        new MappingBudgetError(
          'time',
          `the mapping exceeded its time budget of ${this.options.timeoutMs} ms`,
        ),
      );
    }, this.options.timeoutMs);
    slot.worker?.send({
      id: task.id,
      expressions: task.expressions,
      inputText: task.inputText,
      maxOutputBytes: this.options.maxOutputBytes,
    });
  }

  private spawn(slot: Slot): ChildProcess {
    const worker = spawn(
      process.execPath,
      [
        `--max-old-space-size=${this.options.heapMb}`,
        '--stack-size=984',
        '-e',
        MAPPING_WORKER_SOURCE,
      ],
      {
        // Nothing of ingest's environment (secrets, credentials): only where jsonata is.
        env: { IOTWINS_JSONATA_PATH: this.jsonataPath },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      },
    );
    slot.stderr = '';
    slot.ready = false;
    // Tenants' code runs at the lowest CPU priority: on a busy host the event loop that
    // serves every tenant gets the CPU first.
    if (worker.pid !== undefined) {
      try {
        setPriority(worker.pid, 19);
      } catch {
        // Not permitted here (some container runtimes): the budgets still hold.
      }
    }
    worker.stderr?.setEncoding('utf8');
    worker.stderr?.on('data', (chunk: string) => {
      slot.stderr = ((slot.stderr ?? '') + chunk).slice(-4096);
    });
    // An idle worker must not keep ingest alive at shutdown.
    worker.unref();
    (worker.channel as { unref?: () => void } | undefined)?.unref?.();
    (worker.stderr as { unref?: () => void } | null)?.unref?.();
    worker.on('message', (reply: Reply) => {
      if (slot.worker !== worker) return;
      if ('ready' in reply) {
        slot.ready = true;
        if (slot.task) this.send(slot, slot.task);
        return;
      }
      if (slot.task?.id !== reply.id) return;
      if ('error' in reply) return this.finish(slot, replyError(reply.error));
      try {
        this.finish(
          slot,
          undefined,
          reply.results.map((text) => (text === null ? undefined : JSON.parse(text))),
        );
      } catch (error) {
        this.finish(slot, new MappingError(`the mapping's result is not JSON: ${String(error)}`));
      }
    });
    // A failed spawn or send: the exit that follows (or the next task) replaces the worker.
    worker.on('error', () => undefined);
    worker.on('exit', (code, signal) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      slot.ready = false;
      this.finish(
        slot,
        /heap out of memory|Reached heap limit/.test(slot.stderr ?? '')
          ? new MappingBudgetError(
              'memory',
              `the mapping exceeded its memory budget of ${this.options.heapMb} MB`,
            )
          : new MappingError(`the mapping's worker stopped (${signal ?? `exit code ${code}`})`),
      );
    });
    return worker;
  }

  /** Kills a slot's worker (a runaway evaluation); the next task gets a new one. */
  private stop(slot: Slot): void {
    const worker = slot.worker;
    slot.worker = undefined;
    slot.ready = false;
    worker?.kill('SIGKILL');
  }

  private finish(slot: Slot, error?: Error, results?: unknown[]): void {
    const task = slot.task;
    if (!task) return;
    clearTimeout(slot.timer);
    slot.task = undefined;
    slot.timer = undefined;
    const left = (this.running.get(task.tenant) ?? 1) - 1;
    if (left > 0) this.running.set(task.tenant, left);
    else this.running.delete(task.tenant);
    if (error) task.reject(error);
    else task.resolve(results ?? []);
    if (!this.closed) {
      if (!slot.worker) slot.worker = this.spawn(slot);
      this.dispatch();
    }
  }
}

function replyError(error: { kind: string; message: string }): Error {
  switch (error.kind) {
    case 'input':
      return new MappingInputError(error.message);
    case 'output':
      return new MappingBudgetError('output', error.message);
    default:
      return new MappingError(`the mapping failed: ${error.message}`);
  }
}
