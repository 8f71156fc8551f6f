import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startAppProcess, type AppProcess } from '@iotwins/testing';

/** How long an app's /health/live may stay silent before the tier calls it stalled. */
const STALL_LIMIT_MS = 15_000;
/** Exits at one door family after which an app is left down for the rest of that family. */
const MAX_EXITS = 4;

/** One thing that went wrong: the door, the case sent through it, and what happened. */
export interface HostileFailure {
  door: string;
  case: string;
  outcome: string;
}

/**
 * The tally of a hostile run: doors tried, cases sent, and every failure with enough detail
 * to send the same case again. Shared by every door family of the tier.
 */
export class HostileRun {
  readonly doors = new Set<string>();
  cases = 0;
  serverErrors = 0;
  readonly failures: HostileFailure[] = [];
  /** What each app is handling right now, so a crash or stall names its cause. */
  readonly inFlight = new Map<string, string>();

  door(name: string): void {
    this.doors.add(name);
  }

  /** Counts a case; `outcome` undefined means it was answered as the tier expects. */
  record(door: string, label: string, outcome?: string, serverError = false): void {
    this.doors.add(door);
    this.cases += 1;
    if (serverError) this.serverErrors += 1;
    if (outcome !== undefined) this.failures.push({ door, case: label, outcome });
  }

  failuresOf(prefix: string): string[] {
    return this.failures
      .filter((failure) => failure.door.startsWith(prefix))
      .map((failure) => `${failure.door} | ${failure.case} | ${failure.outcome}`);
  }
}

/**
 * The apps under attack, each its own process as in production. An app that exits is
 * counted and started again (the tier goes on to find the next failure), and the exit is a
 * failure that names the case the app was handling.
 */
export class AppFleet {
  private readonly apps = new Map<string, AppProcess>();
  private readonly starting = new Map<string, Promise<AppProcess>>();
  readonly exits: HostileFailure[] = [];
  private readonly killReasons = new WeakMap<object, string>();
  private phaseStart = 0;
  private stopping = false;

  constructor(
    private readonly run: HostileRun,
    private readonly overrides: Record<string, Record<string, string>>,
  ) {}

  /**
   * All at once, then one by one (up to three tries) those that missed startAppProcess's 30 s:
   * five apps booting together on two busy cores can.
   */
  async start(names: readonly string[]): Promise<void> {
    const missed = (
      await Promise.all(
        names.map((name) =>
          this.launch(name).then(
            () => undefined,
            () => name,
          ),
        ),
      )
    ).filter((name): name is string => name !== undefined);
    for (const name of missed)
      await this.launch(name)
        .catch(() => this.launch(name))
        .catch(() => this.launch(name));
  }

  get restarts(): number {
    return this.exits.length;
  }

  names(): string[] {
    return [...this.apps.keys()];
  }

  /**
   * The app to send the next case to, started again if it died; undefined once it has died
   * MAX_EXITS times at the current door family (a crash loop), so the tier records the rest
   * of that family's cases as refused service instead of spending its budget on restarts.
   */
  async available(name: string): Promise<AppProcess | undefined> {
    const exits = this.exits
      .slice(this.phaseStart)
      .filter((exit) => exit.door === `process ${name}`);
    if (exits.length >= MAX_EXITS) {
      return this.running(name);
    }
    return this.app(name).catch(() => undefined);
  }

  /** Why `available` gave nothing. */
  downReason(name: string): string {
    return `${name} is down: it exited ${MAX_EXITS} times at this door family and is not started again for it`;
  }

  /** A new door family: the exit count that leaves an app down starts again from zero. */
  newPhase(): void {
    this.phaseStart = this.exits.length;
  }

  /** The app's current process, started again first if it died. */
  async app(name: string): Promise<AppProcess> {
    const pending = this.starting.get(name);
    if (pending) return pending;
    const app = this.apps.get(name);
    if (!app) throw new Error(`${name} is not part of the fleet`);
    if (app.process.exitCode !== null || app.process.signalCode !== null) return this.launch(name);
    return app;
  }

  /** The app's process if it runs now (not restarted here: the witness only observes). */
  running(name: string): AppProcess | undefined {
    const app = this.apps.get(name);
    return app && app.process.exitCode === null && app.process.signalCode === null
      ? app
      : undefined;
  }

  /**
   * After a case went unanswered: an app whose /health/live stays silent for STALL_LIMIT_MS
   * is stalled (its event loop held); it is killed, counted as an exit naming the case, and
   * started again, so one runaway input cannot hold the whole tier.
   */
  async unstall(name: string): Promise<void> {
    const app = this.running(name);
    if (!app) return;
    const live = await fetch(`${app.baseUrl}/health/live`, {
      signal: AbortSignal.timeout(STALL_LIMIT_MS),
    }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (live) return;
    this.killReasons.set(
      app.process,
      `stalled: /health/live unanswered for ${STALL_LIMIT_MS} ms, killed by the tier`,
    );
    await app.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.starting.values()].map((pending) => pending.catch(() => undefined)));
    await Promise.all([...this.apps.values()].map((app) => app.stop()));
  }

  private launch(name: string): Promise<AppProcess> {
    const pending = startAppProcess(name, this.overrides[name] ?? {}).then((app) => {
      this.apps.set(name, app);
      this.starting.delete(name);
      app.process.once('exit', (code, signal) => {
        if (this.stopping) return;
        const failure = {
          door: `process ${name}`,
          case: this.run.inFlight.get(name) ?? '(no case in flight)',
          outcome: `${this.killReasons.get(app.process) ?? `exited with ${signal ?? `code ${code}`}`}; last output: ${app
            .output()
            .slice(-600)
            .replace(/\s+/g, ' ')}`,
        };
        this.exits.push(failure);
        this.run.failures.push(failure);
      });
      return app;
    });
    this.starting.set(name, pending);
    pending.catch(() => this.starting.delete(name));
    return pending;
  }
}

/** A bearer token that stays fresh over a run longer than its five-minute lifetime. */
export class FreshToken {
  private value: Promise<string>;
  private fetchedAt = Date.now();

  constructor(private readonly fetchToken: () => Promise<string>) {
    this.value = fetchToken();
  }

  async get(): Promise<string> {
    if (Date.now() - this.fetchedAt > 120_000) {
      this.fetchedAt = Date.now();
      const next = this.fetchToken();
      // Keep the old token until the new one is there: a refresh must not fail a case.
      await next.then(
        () => (this.value = next),
        () => undefined,
      );
    }
    return this.value;
  }
}

export interface HostileSummary {
  doors: number;
  cases: number;
  serverErrors: number;
  restarts: number;
  failures: number;
  witness: { calls: number; errors: number; p50Ms: number; p99Ms: number; maxMs: number };
  seed: number;
  durationMs: number;
  failureList: HostileFailure[];
}

/** The closing line CI shows, and the same figures as JSON under test-results. */
export function reportSummary(summary: HostileSummary): string {
  const line =
    `hostile: doors=${summary.doors} cases=${summary.cases} 5xx=${summary.serverErrors} ` +
    `restarts=${summary.restarts} failures=${summary.failures} ` +
    `witness p99=${summary.witness.p99Ms.toFixed(0)} ms errors=${summary.witness.errors} ` +
    `(calls=${summary.witness.calls}, max=${summary.witness.maxMs.toFixed(0)} ms) ` +
    `seed=${summary.seed} in ${(summary.durationMs / 1000).toFixed(0)} s`;
  const dataDir = process.env.IOTWINS_DATA_DIR;
  if (dataDir) {
    const dir = resolve(dataDir, 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(resolve(dir, 'hostile-summary.json'), JSON.stringify(summary, null, 2));
  }
  return line;
}
