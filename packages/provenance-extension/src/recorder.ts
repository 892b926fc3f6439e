/**
 * Records every successful telemetry-cell run: hashes the FULL result (not only the rows the
 * outputs keep) with `ResultHasher`, builds the `RunRecord` (cell id and version, SQL as
 * executed, the snapshot id of every table DuckDB scanned, engine, result digest, notebook path),
 * posts it to the server's run log, and writes the stamped summary into the cell's
 * `metadata.opsbook.runs` (the newest `MAX_CELL_RUNS`), so it is saved with the notebook and
 * collaborators see it live. A run the server did not take is not a failed run: the recorder
 * returns a warning for the cell instead.
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
  return async run => {
    if (!run.telemetry || !run.cellId) {
      return null;
    }
    const cell = options.findCell(run.cellId);
    if (!cell) {
      return null;
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
        digest: hasher.digest()
      });
      logged = await options.recordRun(record, Math.round(run.result.elapsedMs));
    } catch (error) {
      return `run not recorded: ${error instanceof Error ? error.message : String(error)}`;
    }
    options.recent?.set(logged.record.runId, toResultTable(run.result.table, DIFF_ROWS));
    // Re-read: the cell may have changed (e.g. its chart) while the server answered.
    const current = options.findCell(run.cellId) ?? cell;
    const opsbook = (current.metadata[METADATA_KEY] ?? {}) as Record<string, unknown>;
    current.setOpsbook({
      ...opsbook,
      runs: appendRunSummary(opsbook.runs, summarizeRun(logged.record), MAX_CELL_RUNS)
    });
    return null;
  };
}
