/**
 * Records every successful telemetry-cell run: hashes the FULL result (not only the rows the
 * outputs keep) with `ResultHasher`, builds the `RunRecord` (cell id and version, SQL as
 * executed, the snapshot id of every table DuckDB scanned, engine, result digest, notebook path),
 * posts it to the server's run log, and writes the stamped summary into the cell's
 * `metadata.opsbook.runs` (the newest `MAX_CELL_RUNS`), so it is saved with the notebook and
 * collaborators see it live. A run the server did not take is not a failed run: the recorder
 * returns a warning for the cell instead.
 *
 * Parent links: the recorder remembers which recorded run produced each named result of this
 * session (`ResultOrigins`, per notebook). A run that scans a result table gets an input of kind
 * 'result' naming that run, and the run joins `parents`. When the table's producing run was not
 * recorded (it failed to post, or was not a telemetry run) the record says `run: null` rather
 * than guess, and the cell gets a warning.
 */
import type { KernelRun } from '@opsbook/duckdb-kernel';
import {
  appendRunSummary,
  buildRunRecord,
  ResultHasher,
  summarizeRun,
  type RunSummary
} from '@opsbook/provenance';
import {
  MAX_CELL_RUNS,
  METADATA_KEY,
  toResultTable,
  type CellRunSummary,
  type ResultTable
} from '@opsbook/telemetry-cell';
import type { LoggedRun } from './api';
import { DIFF_ROWS } from './result-diff';

// The cell metadata type and the library's summary must stay the same shape.
const sameShape: (s: RunSummary) => CellRunSummary = s => s;
void sameShape;

/** A cell the recorder writes to: where it is and its metadata. */
export interface RecordedCell {
  /** The notebook's path on the server. */
  path: string;
  /** The notebook's file id, when the server gave one. */
  fileId: string | null;
  /** The cell's current metadata (read for its version and existing runs). */
  metadata: Record<string, unknown>;
  /** Replaces `metadata.opsbook`. */
  setOpsbook(value: Record<string, unknown>): void;
}

/** What the recorder needs from the application. */
export interface RecorderOptions {
  /** Finds the cell a run came from; null when it is in no open notebook. */
  findCell(cellId: string): RecordedCell | null;
  /** Posts a record to the run log (`RunLogClient.recordRun`). */
  recordRun(record: ReturnType<typeof buildRunRecord>, durationMs: number): Promise<LoggedRun>;
  /** Keeps the first rows of recorded runs of this session, for replay diffs. */
  recent?: RecentResults;
  /** Which run produced each named result (a fresh one per recorder when absent). */
  origins?: ResultOrigins;
}

/**
 * Which recorded run produced each result table of this session, per notebook: null when the
 * latest result of that name came from a run that was not recorded.
 */
export class ResultOrigins {
  private readonly _runs = new Map<string, string | null>();

  /** Notes that `name` in `notebook` now holds the result of `runId` (null: unrecorded). */
  set(notebook: string, name: string, runId: string | null): void {
    this._runs.set(`${notebook}\u0000${name}`, runId);
  }

  /** The run whose result `name` holds in `notebook`; null when unknown. */
  get(notebook: string, name: string): string | null {
    return this._runs.get(`${notebook}\u0000${name}`) ?? null;
  }
}

/** The first rows of the runs recorded in this session, by run id (bounded). */
export class RecentResults {
  private readonly _rows = new Map<string, ResultTable>();

  constructor(private readonly _limit = 50) {}

  /** Keeps the first rows of a run. */
  set(runId: string, table: ResultTable): void {
    this._rows.delete(runId);
    this._rows.set(runId, table);
    for (const key of this._rows.keys()) {
      if (this._rows.size <= this._limit) {
        break;
      }
      this._rows.delete(key);
    }
  }

  /** The first rows of a run recorded in this session, or null. */
  get(runId: string): ResultTable | null {
    return this._rows.get(runId) ?? null;
  }
}

/** A run observer for the DuckDB kernel: records telemetry runs, returns a warning or null. */
export function createRunRecorder(
  options: RecorderOptions
): (run: KernelRun) => Promise<string | null> {
  const origins = options.origins ?? new ResultOrigins();
  return async run => {
    const cell = run.cellId ? options.findCell(run.cellId) : null;
    if (!run.telemetry || !run.cellId || !cell) {
      if (cell && run.resultName) {
        origins.set(cell.path, run.resultName, null);
      }
      return null;
    }
    const resultRuns: Record<string, string | null> = {};
    for (const scan of run.result.scans) {
      if (scan.kind === 'result') {
        resultRuns[scan.table] = origins.get(cell.path, scan.table);
      }
    }
    let logged: LoggedRun;
    try {
      const hasher = new ResultHasher(run.result.table.schema);
      for (const batch of run.result.table.batches) {
        hasher.addBatch(batch);
      }
      const record = buildRunRecord({
        cell: { id: run.cellId, source: run.code, metadata: cell.metadata },
        query: run.result,
        engine: run.engine,
        notebook: { path: cell.path, fileId: cell.fileId },
        digest: hasher.digest(),
        resultRuns
      });
      logged = await options.recordRun(record, Math.round(run.result.elapsedMs));
    } catch (error) {
      if (run.resultName) {
        origins.set(cell.path, run.resultName, null);
      }
      return `run not recorded: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (run.resultName) {
      origins.set(cell.path, run.resultName, logged.record.runId);
    }
    options.recent?.set(logged.record.runId, toResultTable(run.result.table, DIFF_ROWS));
    // Re-read: the cell may have changed (e.g. its chart) while the server answered.
    const current = options.findCell(run.cellId) ?? cell;
    const opsbook = (current.metadata[METADATA_KEY] ?? {}) as Record<string, unknown>;
    current.setOpsbook({
      ...opsbook,
      runs: appendRunSummary(opsbook.runs, summarizeRun(logged.record), MAX_CELL_RUNS)
    });
    const unknown = Object.keys(resultRuns).filter(name => resultRuns[name] === null);
    return unknown.length
      ? `run recorded without its parent run: ${unknown.join(', ')} was made by a run that was ` +
          `not recorded, so this run cannot be replayed. Re-run the cell that makes it, then this one.`
      : null;
  };
}
