/**
 * Errors of the query path, with one catalog of the messages users see.
 *
 * DuckDB reports a parse or bind error as `Kind Error: message` followed by `LINE n:` and a caret
 * under the offending token. `QueryError` keeps DuckDB's message verbatim and adds the position
 * (line, column, offset in the SQL) so editors can point at it.
 */

/** Where in the SQL an error is, 1-based line and column, 0-based character offset. */
export interface SqlPosition {
  line: number;
  column: number;
  offset: number;
}

/** The kinds of query failure users can act on differently. */
export type QueryErrorKind =
  | 'sql' // DuckDB rejected or failed the SQL (parser, binder, catalog, conversion...)
  | 'cancelled' // the user or a caller cancelled it
  | 'timeout' // it ran past the time limit
  | 'data' // a dataset could not be loaded
  | 'internal';

/** Every user-facing message of the query path, in one place. */
export const Messages = {
  cancelled: () => 'Query cancelled.',
  timeout: (ms: number) =>
    `Query stopped after ${(ms / 1000).toFixed(1)} s: it ran past the time limit ` +
    `(setting "queryTimeoutMs"). Narrow the time range or raise the limit.`,
  datasetFetch: (name: string, status: number, detail: string) =>
    `Could not load dataset "${name}" (HTTP ${status}): ${detail}`,
  datasetFormat: (name: string, detail: string) =>
    `Dataset "${name}" did not arrive as a valid Arrow stream: ${detail}`,
  badDatasetName: (name: string) =>
    `"${name}" is not a valid dataset name: use lower-case letters, digits and "_", starting with a letter.`,
  emptyQuery: () => 'Nothing to run: the cell has no SQL statement.',
  snapshotGone: (id: string, table: string) =>
    `snapshot ${id} of ${table} no longer exists on the server, so the run cannot be replayed on ` +
    `the data it read. Ask whoever manages the catalog whether it was deleted or compacted.`,
  snapshotNotPinnable: (id: string, table: string, detail: string) =>
    `Cannot read snapshot ${id} of ${table}: ${detail}`,
  snapshotMismatch: (table: string, pinned: string, served: string | null) =>
    `The server served ${table} from snapshot ${served ?? '(none)'} instead of the pinned ` +
    `${pinned}; the replay was stopped rather than compared on other data.`,
  resultShadowsDataset: (name: string) =>
    `Cannot keep the result as "${name}": a dataset of that name exists, and the result would ` +
    `hide it. Choose another result name.`,
  notPinned: (table: string) =>
    `The query reads ${table}, which the run did not record a snapshot for, so it cannot be ` +
    `replayed pinned. Re-run the cell to record a run that names every table it reads.`
} as const;

/** A failed query, with DuckDB's own message and, where known, the position in the SQL. */
export class QueryError extends Error {
  readonly kind: QueryErrorKind;
  /** DuckDB's error class, e.g. 'Parser', 'Binder', 'Catalog' (only for kind 'sql'). */
  readonly duckdbType: string | null;
  readonly position: SqlPosition | null;

  constructor(
    message: string,
    options: { kind: QueryErrorKind; duckdbType?: string | null; position?: SqlPosition | null }
  ) {
    super(message);
    this.name = 'QueryError';
    this.kind = options.kind;
    this.duckdbType = options.duckdbType ?? null;
    this.position = options.position ?? null;
  }

  /** Turns whatever DuckDB threw for `sql` into a `QueryError` with its position. */
  static fromDuckDB(error: unknown, sql: string, statementOffset = 0): QueryError {
    if (error instanceof QueryError) {
      return error;
    }
    const raw = error instanceof Error ? error.message : String(error);
    const structured = parseStructured(raw);
    if (structured) {
      // Some DuckDB-WASM paths report errors as JSON with a character offset in the statement.
      const message = `${structured.type} Error: ${structured.message}`;
      const position =
        structured.offset !== null
          ? positionAt(sql, statementOffset + structured.offset)
          : locate(message, sql, statementOffset);
      return new QueryError(message, { kind: 'sql', duckdbType: structured.type, position });
    }
    const message = dedupeLineExcerpt(raw);
    const type = /^([A-Za-z ]+?) Error:/.exec(message)?.[1] ?? null;
    const position = locate(message, sql, statementOffset);
    return new QueryError(message, { kind: 'sql', duckdbType: type, position });
  }
}

function parseStructured(
  raw: string
): { type: string; message: string; offset: number | null } | null {
  if (!raw.startsWith('{')) {
    return null;
  }
  try {
    const body = JSON.parse(raw) as Record<string, string>;
    if (!body.exception_type || !body.exception_message) {
      return null;
    }
    const offset =
      body.position !== undefined && /^\d+$/.test(body.position) ? Number(body.position) : null;
    return { type: body.exception_type, message: body.exception_message, offset };
  } catch {
    return null;
  }
}

/** The line and column of a character offset. */
export function positionAt(sql: string, offset: number): SqlPosition {
  const before = sql.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1, offset };
}

/** DuckDB-WASM sometimes repeats the `LINE n:` excerpt; show it once. */
function dedupeLineExcerpt(message: string): string {
  const parts = message.split(/\n\n(?=LINE \d+:)/);
  return parts.length > 2 ? parts.slice(0, 2).join('\n\n') : message;
}

/**
 * Finds the position DuckDB marked with `LINE n:` and a caret. DuckDB prints the line (possibly
 * shortened with "..." around a window), then a caret under the token; we locate the printed
 * excerpt inside the real line to turn the caret's column into a column of the SQL.
 */
export function locate(message: string, sql: string, statementOffset = 0): SqlPosition | null {
  const match = /LINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!match) {
    return null;
  }
  const line = Number(match[1]);
  const excerpt = match[2];
  const caretColumn = match[3].length - 'LINE '.length - match[1].length - ': '.length;
  const statement = sql.slice(statementOffset);
  const lines = statement.split('\n');
  const text = lines[line - 1];
  if (text === undefined || caretColumn < 0) {
    return null;
  }
  let start = 0;
  let shown = excerpt;
  if (shown.startsWith('...')) {
    shown = shown.slice(3);
    const at = text.indexOf(shown.replace(/\.\.\.$/, ''));
    start = at >= 0 ? at - 3 : 0;
  }
  const columnInLine = Math.min(start + caretColumn, text.length);
  const offsetInStatement =
    lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + columnInLine;
  return positionAt(sql, statementOffset + offsetInStatement);
}
