/**
 * Content ids. They hash a canonical encoding of the ROWS, never the Parquet bytes (which change
 * with the DuckDB version, compression level and row group layout).
 *
 * Row encoding (`canonicalRow`): a JSON array with one cell per column in schema order; null is
 * `null`; timestamps and int64 are decimal strings; float64 is a JSON number, except NaN,
 * Infinity and -Infinity as those strings (-0 encodes as 0); utf8, int32 and bool as themselves;
 * attribute maps as `[[key, value], ...]` sorted by key; lists as arrays of the same cell encodings.
 *
 * Snapshot id = SHA-256 of
 *   "opsbook.snapshot.v1\n" dataset "\n" table "\n" schema version "\n"
 *   then, for each row in stored order (time column, then idempotence key): SHA-256(row) "\n"
 * as 64 hex digits. Hashing the list of row hashes keeps the final pass to one short string per
 * row (read back from DuckDB in sorted order), whatever the row width.
 *
 * Manifest id = SHA-256 of "opsbook.manifest.v1\n" dataset "\n" then each snapshot id sorted, "\n".
 */
import * as crypto from 'crypto';
import { createHash, Hash } from 'crypto';
import { ColumnKind, TableName, TABLES, TELEMETRY_SCHEMA_VERSION } from '@opsbook/telemetry-schema';

// One-shot `crypto.hash` (Node >= 20.12) is twice as fast as createHash/update/digest for the
// short texts hashed once per row; older Node falls back to the latter (same digest).
const sha256 =
  typeof crypto.hash === 'function'
    ? (text: string) => crypto.hash('sha256', text, 'hex')
    : (text: string) => createHash('sha256').update(text).digest('hex');

function encodeFloat(value: number): number | string {
  return Number.isFinite(value) ? (value === 0 ? 0 : value) : String(value);
}

function encodeCell(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) {
    return null;
  }
  switch (kind) {
    case 'timestamp_ns':
    case 'int64':
      return String(value);
    case 'float64':
      return encodeFloat(value as number);
    case 'attributes': {
      const map = value as Record<string, string>;
      return Object.keys(map)
        .sort()
        .map(key => [key, map[key]]);
    }
    case 'list_int64':
      return (value as bigint[]).map(String);
    case 'list_float64':
      return (value as number[]).map(encodeFloat);
    default:
      return value;
  }
}

/**
 * The canonical JSON text of one cell: exactly `JSON.stringify(encodeCell(kind, value))`, with the
 * common kinds written directly (the staging line reuses these texts, see staging.ts).
 */
export function canonicalCell(kind: ColumnKind, value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  switch (kind) {
    case 'timestamp_ns':
    case 'int64':
      // Decimal digits and '-' need no JSON escaping.
      return `"${value as bigint}"`;
    case 'utf8':
    case 'int32':
    case 'bool':
      return JSON.stringify(value);
    default:
      return JSON.stringify(encodeCell(kind, value));
  }
}

/** The canonical text of every cell of one row, in schema order. */
export function canonicalCells(table: TableName, row: Record<string, unknown>): string[] {
  const columns = TABLES[table].columns;
  const cells = new Array<string>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    cells[i] = canonicalCell(columns[i].kind, row[columns[i].name]);
  }
  return cells;
}

/**
 * The canonical text of one row of `table` (see the module comment): the JSON array of its cells,
 * the same text as `JSON.stringify` of the encoded cells.
 */
export function canonicalRow(table: TableName, row: Record<string, unknown>): string {
  return `[${canonicalCells(table, row).join(',')}]`;
}

/** The row hash of a row given by its `canonicalCells`. */
export function cellsHash(cells: readonly string[]): string {
  return sha256(`[${cells.join(',')}]`);
}

/** SHA-256 of the canonical text of one row, 64 hex digits. */
export function rowHash(table: TableName, row: Record<string, unknown>): string {
  return cellsHash(canonicalCells(table, row));
}

/** Incremental snapshot id: feed row hashes in stored order, then `digest`. */
export class SnapshotHasher {
  private readonly hash: Hash = createHash('sha256');

  constructor(dataset: string, table: TableName, schemaVersion = TELEMETRY_SCHEMA_VERSION) {
    this.hash.update(`opsbook.snapshot.v1\n${dataset}\n${table}\n${schemaVersion}\n`);
  }

  /** Adds the hash of the next row. */
  add(rowHashHex: string): void {
    this.hash.update(`${rowHashHex}\n`);
  }

  /** The snapshot id. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The id of the manifest of `dataset` holding exactly `snapshotIds`. */
export function manifestId(dataset: string, snapshotIds: readonly string[]): string {
  const hash = createHash('sha256').update(`opsbook.manifest.v1\n${dataset}\n`);
  for (const id of [...snapshotIds].sort()) {
    hash.update(`${id}\n`);
  }
  return hash.digest('hex');
}
