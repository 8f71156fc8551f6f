import type { ImportFormat } from './file-import.config';

/** Where a refused record was: a line (CSV, line protocol), a row (Parquet) or an index (JSON). */
export interface RefusedRecord {
  line?: number;
  row?: number;
  index?: number;
  detail: string;
}

/** Refusals listed per report; beyond it only counted, so a broken file gives a small report. */
export const MAX_LISTED_REFUSALS = 1_000;

/** The import report object written beside each file (`<key>.import-report.json`). */
export interface ImportReport {
  bucket: string;
  key: string;
  etag: string | undefined;
  size: number | undefined;
  format: ImportFormat | undefined;
  /** completed: every record stored or refused; failed: the file could not be read at all. */
  outcome: 'completed' | 'failed';
  /** Why the file as a whole was not imported (unsupported format, too large, bad header). */
  error?: string;
  recordsRead: number;
  pointsStored: number;
  recordsRefused: number;
  refused: RefusedRecord[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** Collects what an import stored and refused, then renders the report. */
export class ImportTally {
  recordsRead = 0;
  pointsStored = 0;
  recordsRefused = 0;
  readonly refused: RefusedRecord[] = [];
  error: string | undefined;
  private readonly started = Date.now();

  refuse(record: RefusedRecord): void {
    this.recordsRefused += 1;
    if (this.refused.length < MAX_LISTED_REFUSALS) this.refused.push(record);
  }

  report(target: Pick<ImportReport, 'bucket' | 'key' | 'etag' | 'size' | 'format'>): ImportReport {
    const finished = Date.now();
    return {
      ...target,
      outcome: this.error === undefined ? 'completed' : 'failed',
      ...(this.error === undefined ? {} : { error: this.error }),
      recordsRead: this.recordsRead,
      pointsStored: this.pointsStored,
      recordsRefused: this.recordsRefused,
      refused: [...this.refused].sort(
        (a, b) => (a.line ?? a.row ?? a.index ?? 0) - (b.line ?? b.row ?? b.index ?? 0),
      ),
      startedAt: new Date(this.started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - this.started,
    };
  }
}

/** `point <i>: <detail>` of an ingest outcome (field-type conflicts) back to its record. */
export function conflictIndex(error: string): { index: number; detail: string } | undefined {
  const match = /^point (\d+): (.*)$/s.exec(error);
  return match ? { index: Number(match[1]), detail: match[2]! } : undefined;
}
