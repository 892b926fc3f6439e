/**
 * Run records: what one execution of a cell read, ran and produced, precisely enough to replay it
 * and check the replay gives the same result hash.
 *
 * A record is built where the query ran (the browser or the server) from the cell, the engine's
 * `QueryResult` and `EngineInfo`; the server then adds the `stamp` (who, when) that a client could
 * forge, and appends the stamped record to the run log. Records are plain JSON, so they can go
 * through `canonicalJson` and into the hash-chained log unchanged.
 *
 * The cell version is the SHA-256 of the canonical JSON of
 *   { "encoding": "opsbook.cell.v1", "source": <source text>, "opsbook": <result-affecting keys> }
 * where the result-affecting keys are `CELL_VERSION_KEYS` of `metadata.opsbook`. Other metadata
 * (the chart choice, the run summaries, nbformat's `tags`, `collapsed`, `jupyter`, ...) changes how
 * a result is shown, not what it is, so editing it does not make a new cell version.
 */
import type { EngineInfo, QueryResult } from '@opsbook/query-engine';
import { canonicalJson, type JsonValue } from './canonical-json';
import type { CanonicalField } from './canonical-arrow';
import { hashArrowTable, type ResultDigest } from './result-hash';
import {
  CELL_VERSION_ENCODING,
  CELL_VERSION_KEYS,
  cellVersion,
  isIsoUtc,
  RUN_RECORD_FORMAT
} from './record-format';

export { CELL_VERSION_ENCODING, CELL_VERSION_KEYS, cellVersion, isIsoUtc, RUN_RECORD_FORMAT };

/** A cell as the builder needs it (the nbformat fields, source as a string or lines). */
export interface CellSnapshot {
  /** The nbformat cell id. */
  id: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
}

/**
 * One table the query read: which snapshot, and what DuckDB scanned of it. An earlier cell's
 * named result (kind 'result') has no snapshot: `run` is the run that produced it, also listed
 * in the record's `parents`, or null when that run was not recorded (the parent is unknown).
 */
export interface RunInput {
  table: string;
  /** Absent for a dataset; 'result' for a result table of an earlier run. */
  kind?: 'result';
  /** For kind 'result': the run that produced the table, or null when unknown. */
  run?: string | null;
  /** Content id of the snapshot (or manifest) read; null when the engine did not know it. */
  snapshotId: string | null;
  /** Columns scanned, sorted. */
  columns: string[];
  /** Time bounds pushed into the scan (ISO-8601), when there were any. */
  start?: string;
  end?: string;
}

/** Who ran it and when: filled in by the server, never by the client. */
export interface RunStamp {
  user: string;
  /** ISO-8601 UTC. */
  startedAt: string;
  /** ISO-8601 UTC. */
  finishedAt: string;
}

/** The template a cell was instantiated from. */
export interface TemplateRef {
  id: string;
  version: string;
}

/** The result a run produced, as its canonical digest (see result-hash.ts). */
export interface RunResult {
  encoding: string;
  hash: string;
  rowCount: number;
  schema: CanonicalField[];
}

/** Everything about one run of a cell (see the module comment). */
export interface RunRecord {
  /** Always `RUN_RECORD_FORMAT`. */
  format: string;
  runId: string;
  cellId: string;
  /** SHA-256 of the cell's source and result-affecting metadata (`cellVersion`). */
  cellVersion: string;
  /** The notebook, when known: its path and the server's file id. */
  notebook: { path: string; fileId: string | null } | null;
  /** The SQL as executed: the statements in order, joined by ";\n". */
  sql: string;
  /** Parameters bound into the SQL, by name. */
  parameters: { [name: string]: JsonValue };
  template: TemplateRef | null;
  /** Every dataset table the query scanned, sorted by table name. */
  inputs: RunInput[];
  engine: EngineInfo;
  result: RunResult;
  /** Runs this one derives from (e.g. the run it replays or refines). */
  parents: string[];
  hypothesisId: string | null;
  rationale: string | null;
  /** Null until the server stamps it (`stampRunRecord`). */
  stamp: RunStamp | null;
}

/** A run record the server has stamped. */
export interface StampedRunRecord extends RunRecord {
  stamp: RunStamp;
}

/** What `buildRunRecord` needs. */
export interface BuildRunRecordOptions {
  cell: CellSnapshot;
  /** The engine's result; its table is hashed unless `digest` is given. */
  query: QueryResult;
  engine: EngineInfo;
  /** Defaults to a random UUID. */
  runId?: string;
  notebook?: { path: string; fileId?: string | null } | null;
  parameters?: { [name: string]: JsonValue };
  template?: TemplateRef | null;
  parents?: string[];
  /**
   * For each result table the query may scan: the run that produced it (null when that run was
   * not recorded). A scanned result table gets an input of kind 'result' naming the run, and the
   * run joins `parents`; a missing entry counts as null.
   */
  resultRuns?: Record<string, string | null>;
  hypothesisId?: string | null;
  rationale?: string | null;
  /** A digest computed already (e.g. while streaming the result); skips hashing again. */
  digest?: ResultDigest;
}

/** Builds the (unstamped) record of a run; throws with the field name on bad input. */
export function buildRunRecord(options: BuildRunRecordOptions): RunRecord {
  const { cell, query, engine } = options;
  if (!cell || typeof cell.id !== 'string' || cell.id === '') {
    throw new TypeError('buildRunRecord: cell.id must be the non-empty nbformat cell id.');
  }
  if (!query || !Array.isArray(query.statements) || !query.table) {
    throw new TypeError('buildRunRecord: query must be the QueryResult the engine returned.');
  }
  const digest = options.digest ?? hashArrowTable(query.table);
  const inputs = new Map<string, RunInput>();
  const parents = [...(options.parents ?? [])];
  for (const scan of query.scans) {
    if (scan.kind === 'result') {
      const prev = inputs.get(scan.table);
      const run = options.resultRuns?.[scan.table] ?? null;
      inputs.set(scan.table, {
        table: scan.table,
        kind: 'result',
        run,
        snapshotId: null,
        columns: [...new Set([...(prev?.columns ?? []), ...scan.columns])].sort()
      });
      if (run && !parents.includes(run)) {
        parents.push(run);
      }
      continue;
    }
    // Several statements can scan one table: unite the columns, and drop the time bounds (the
    // union of two ranges is only safely described as unbounded).
    const prev = inputs.get(scan.table);
    const columns = new Set([...(prev?.columns ?? []), ...scan.columns]);
    inputs.set(scan.table, {
      table: scan.table,
      snapshotId: scan.snapshotId ?? prev?.snapshotId ?? null,
      columns: [...columns].sort(),
      ...(scan.start && !prev ? { start: scan.start } : {}),
      ...(scan.end && !prev ? { end: scan.end } : {})
    });
  }
  const record: RunRecord = {
    format: RUN_RECORD_FORMAT,
    runId: options.runId ?? globalThis.crypto.randomUUID(),
    cellId: cell.id,
    cellVersion: cellVersion(cell),
    notebook: options.notebook
      ? { path: options.notebook.path, fileId: options.notebook.fileId ?? null }
      : null,
    sql: query.statements.join(';\n'),
    parameters: options.parameters ?? {},
    template: options.template ?? null,
    inputs: [...inputs.values()].sort((a, b) => (a.table < b.table ? -1 : 1)),
    engine: { name: engine.name, version: engine.version, settings: { ...engine.settings } },
    result: {
      encoding: digest.encoding,
      hash: digest.hash,
      rowCount: digest.rowCount,
      schema: digest.schema
    },
    parents,
    hypothesisId: options.hypothesisId ?? null,
    rationale: options.rationale ?? null,
    stamp: null
  };
  // Fails now, with a path, if a parameter is not JSON (rather than later in the run log).
  canonicalJson(record);
  return record;
}

/** The server's part: returns a copy of `record` with `stamp`; throws on a malformed stamp. */
export function stampRunRecord(record: RunRecord, stamp: RunStamp): StampedRunRecord {
  if (typeof stamp?.user !== 'string' || stamp.user === '') {
    throw new TypeError('stampRunRecord: stamp.user must be the authenticated user name.');
  }
  for (const key of ['startedAt', 'finishedAt'] as const) {
    if (!isIsoUtc(stamp[key])) {
      throw new TypeError(
        `stampRunRecord: stamp.${key} must be ISO-8601 UTC (e.g. new Date().toISOString()), ` +
          `got ${JSON.stringify(stamp[key])}.`
      );
    }
  }
  if (stamp.finishedAt < stamp.startedAt) {
    throw new RangeError('stampRunRecord: stamp.finishedAt is before stamp.startedAt.');
  }
  return { ...record, stamp: { ...stamp } };
}
