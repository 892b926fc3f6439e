/**
 * The telemetry-cell metadata format (version 1), the one place it is defined.
 *
 * A telemetry cell is a plain nbformat code cell whose source is SQL, marked by an `opsbook` object
 * in its metadata:
 *
 *   "metadata": { "opsbook": { "version": 1, "kind": "telemetry", "chart": { "mark": "line", ... } } }
 *
 * `chart` is optional: absent means "choose from the result's shape". `runs` lists the cell's last
 * recorded runs (issue #5), written after each run the server recorded; `resultName` keeps the
 * cell's result as a table later cells can read. The JSON Schema in
 * `schema/cell-metadata.schema.json` is generated from these types (`npm run schema`), and
 * `docs/notebook-format.md` describes them for people.
 */

/** The metadata key under which Opsbook keeps its cell metadata. */
export const METADATA_KEY = 'opsbook';

/** The current version of the cell metadata format. */
export const METADATA_VERSION = 1;

/** The marks a user can choose for a telemetry cell's chart; 'table' hides the chart. */
export type ChartMark = 'line' | 'bar' | 'area' | 'point' | 'table';

/** Every chart mark, in the order the UI lists them. */
export const CHART_MARKS: ChartMark[] = ['line', 'bar', 'area', 'point', 'table'];

/**
 * The chart a user chose for a telemetry cell. Missing encodings are filled in from the result's
 * shape; a field that the result no longer has falls back to the automatic choice.
 */
export interface ChartConfig {
  mark: ChartMark;
  /** Column on the x axis. */
  x?: string | null;
  /** Column on the y axis. */
  y?: string | null;
  /** Column that splits the data into coloured series. */
  color?: string | null;
}

/**
 * One recorded run of the cell, as the server stamped it (the same shape as `RunSummary` of
 * `@opsbook/provenance`): enough to list the cell's history and find the full, signed record in
 * the run log (`GET /api/opsbook/runs/<runId>`).
 */
export interface CellRunSummary {
  /** The run id, the key of the record in the server's run log. */
  runId: string;
  /** SHA-256 of the cell's source and result-affecting metadata when it ran. */
  cellVersion: string;
  /** The canonical result hash (`opsbook.result.v1`, 64 hex digits) of the full result. */
  hash: string;
  /** Rows in the full result. */
  rows: number;
  /** The snapshot ids the run read, sorted. */
  inputs: string[];
  /** Who ran it (the server's user name). */
  user?: string;
  /** When it finished (ISO-8601 UTC, the server's clock). */
  finishedAt?: string;
}

/** How many run summaries a cell keeps (older runs stay in the server's run log). */
export const MAX_CELL_RUNS = 10;

/** Opsbook's metadata on a telemetry cell (`cell.metadata.opsbook`). */
export interface TelemetryCellMetadata {
  /** Format version, currently 1. */
  version: 1;
  /** Marks the cell as a telemetry cell. */
  kind: 'telemetry';
  /** The user's chart choice; absent means automatic. */
  chart?: ChartConfig;
  /** The cell's last recorded runs, oldest first, at most `MAX_CELL_RUNS`. */
  runs?: CellRunSummary[];
  /**
   * Snapshot pins: SQL table name -> the snapshot id the cell reads instead of the table's latest.
   * A pinned cell reads only pinned tables (a table it reads without a pin is an error), so its
   * result does not move when data is ingested.
   */
  pins?: Record<string, string>;
  /**
   * The name under which the cell's full result is kept in the notebook's DuckDB after each
   * successful run, so later cells can read it (`SELECT ... FROM slow_ops`): a lower-case SQL
   * identifier (`RESULT_NAME`), at most 63 characters. Not part of the cell version: naming a
   * result does not change it (see docs/notebook-format.md).
   *
   * @pattern ^[a-z_][a-z0-9_]{0,62}$
   */
  resultName?: string;
}

/** What a result name must look like: a plain lower-case SQL identifier of 1 to 63 characters. */
export const RESULT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Names a result may not take: the engine's own schemas and SQL words DuckDB reserves. */
const RESERVED_RESULT_NAMES = new Set([
  'select',
  'from',
  'where',
  'table',
  'order',
  'group',
  'limit',
  'with',
  'union',
  'join',
  'on',
  'as',
  'and',
  'or',
  'not',
  'null',
  'main',
  'opsbook_stub'
]);

/**
 * Checks a result name a user typed; returns null when it is fine, else what is wrong and what to
 * do. `datasets` are the table names the notebook can read: a result may not hide one of them.
 */
export function resultNameProblem(name: string, datasets: string[] = []): string | null {
  if (!RESULT_NAME.test(name)) {
    return (
      `"${name}" is not a valid result name: use 1 to 63 lower-case letters, digits and "_", ` +
      `starting with a letter or "_" (e.g. slow_ops).`
    );
  }
  if (RESERVED_RESULT_NAMES.has(name)) {
    return `"${name}" is a reserved SQL word; choose another result name (e.g. ${name}_result).`;
  }
  if (datasets.includes(name)) {
    return `"${name}" is a dataset; a result of that name would hide it. Choose another name.`;
  }
  return null;
}

/** Reads a telemetry cell's result name; null when it has none or it is malformed. */
export function readResultName(metadata: unknown): string | null {
  const value = (metadata as Record<string, unknown> | undefined)?.[METADATA_KEY] as
    Partial<TelemetryCellMetadata> | undefined;
  const name = value?.resultName;
  return typeof name === 'string' && resultNameProblem(name) === null ? name : null;
}

/** A SQL table name as the server lists datasets. */
const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;
/** A catalog snapshot id (hex content id). */
const SNAPSHOT_ID = /^[0-9a-f]{8,64}$/;

/** Reads a telemetry cell's snapshot pins; null when it has none (malformed entries ignored). */
export function readPins(metadata: unknown): Record<string, string> | null {
  const value = (metadata as Record<string, unknown> | undefined)?.[METADATA_KEY] as
    Partial<TelemetryCellMetadata> | undefined;
  const pins = value?.pins;
  if (!pins || typeof pins !== 'object') {
    return null;
  }
  const valid = Object.entries(pins).filter(
    ([table, id]) => TABLE_NAME.test(table) && typeof id === 'string' && SNAPSHOT_ID.test(id)
  );
  return valid.length ? Object.fromEntries(valid) : null;
}

/** True when a cell's metadata marks it as a telemetry cell. */
export function isTelemetryMetadata(metadata: unknown): boolean {
  const value = (metadata as Record<string, unknown> | undefined)?.[METADATA_KEY] as
    Partial<TelemetryCellMetadata> | undefined;
  return !!value && value.kind === 'telemetry';
}

/** Reads the chart choice of a telemetry cell, ignoring anything malformed. */
export function readChartConfig(metadata: unknown): ChartConfig | null {
  const value = (metadata as Record<string, unknown> | undefined)?.[METADATA_KEY] as
    Partial<TelemetryCellMetadata> | undefined;
  const chart = value?.chart;
  if (!chart || !CHART_MARKS.includes(chart.mark)) {
    return null;
  }
  const field = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return { mark: chart.mark, x: field(chart.x), y: field(chart.y), color: field(chart.color) };
}

/** The metadata of a new telemetry cell. */
export function newTelemetryMetadata(chart?: ChartConfig): TelemetryCellMetadata {
  return chart
    ? { version: METADATA_VERSION, kind: 'telemetry', chart }
    : { version: METADATA_VERSION, kind: 'telemetry' };
}
