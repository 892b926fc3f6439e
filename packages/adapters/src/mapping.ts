/**
 * Column mapping for tabular sources (CSV, Arrow IPC, Parquet): which source column fills which
 * canonical column of which table, plus constants (e.g. `event_type: "deploy"`). Source columns
 * that are not mapped go to `attributes` as JSON text, so nothing is dropped. Values are coerced
 * to the canonical kind: timestamps from ISO text or epoch numbers (unit by magnitude), int64 from
 * integer text, lists and maps from JSON text.
 */
import { columnsOf, Row, TableName } from '@opsbook/telemetry-schema';
import { describeValue, IngestError, RecordProblem } from './errors';
import { IngestContext } from './ingest';
import { parseTimestamp } from './timestamps';

/** How a tabular source maps into one canonical table. */
export interface TableMapping {
  /** The target table. */
  table: TableName;
  /** Canonical column -> source column. */
  columns: Record<string, string>;
  /** Canonical column -> constant value (applied when the mapped value is null). */
  constants?: Record<string, string | number | boolean>;
  /** Keep unmapped source columns in `attributes` (default true). */
  keepUnmapped?: boolean;
  /**
   * The source is already in the canonical schema (set by `resolveMapping` for a same-name
   * mapping): its attribute maps hold JSON text values, which are kept as they are instead of
   * being encoded a second time.
   */
  canonical?: boolean;
}

/**
 * The mapping to use for a source with `sourceColumns`: `mapping` itself, or, when its `columns`
 * is empty, every canonical column of the table mapped from the source column of the same name (a
 * source already in the canonical schema, such as a snapshot or an export, maps itself).
 */
export function resolveMapping(
  mapping: TableMapping,
  sourceColumns: readonly string[]
): TableMapping {
  if (Object.keys(mapping.columns).length > 0) {
    return mapping;
  }
  const same = columnsOf(mapping.table)
    .map(c => c.name)
    .filter(name => sourceColumns.includes(name));
  return {
    ...mapping,
    columns: Object.fromEntries(same.map(name => [name, name])),
    canonical: true
  };
}

/** Checks a mapping against the source's columns; throws an `IngestError` when it is wrong. */
export function checkMapping(mapping: TableMapping, sourceColumns: readonly string[]): void {
  const canonical = new Set(columnsOf(mapping.table).map(c => c.name));
  for (const [target, source] of Object.entries(mapping.columns)) {
    if (!canonical.has(target)) {
      throw new IngestError('mapping-unknown-target', { column: target, table: mapping.table });
    }
    if (!sourceColumns.includes(source)) {
      throw new IngestError('mapping-unknown-column', {
        column: source,
        available: sourceColumns.join(', ')
      });
    }
  }
}

const jsonSafe = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

function coerce(kind: string, value: unknown, column: string, canonical = false): unknown {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  const bad = (expected: string): never => {
    throw new RecordProblem('bad-value', { column, value: describeValue(value), expected });
  };
  switch (kind) {
    case 'timestamp_ns': {
      const t =
        value instanceof Date ? BigInt(value.getTime()) * 1_000_000n : parseTimestamp(value);
      return t ?? bad('an ISO-8601 time or epoch number');
    }
    case 'int64': {
      if (typeof value === 'bigint') return value;
      const text = String(value).trim();
      return /^-?\d+$/.test(text) ? BigInt(text) : bad('an integer');
    }
    case 'int32': {
      const n = Number(value);
      return Number.isInteger(n) ? n : bad('an integer');
    }
    case 'float64': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      return isNaN(n) && String(value) !== 'NaN' ? bad('a number') : n;
    }
    case 'bool': {
      const text = String(value).toLowerCase();
      return ['true', '1', 'yes'].includes(text)
        ? true
        : ['false', '0', 'no'].includes(text)
          ? false
          : bad('true or false');
    }
    case 'utf8':
      return typeof value === 'string' ? value : String(value);
    case 'attributes': {
      const obj = typeof value === 'string' ? JSON.parse(value) : value;
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) bad('a JSON object');
      // A canonical map's values are JSON text already; anything else is a plain value.
      const keep = canonical && typeof value !== 'string';
      return Object.fromEntries(
        Object.entries(obj).map(([k, v]) => [k, keep && typeof v === 'string' ? v : jsonSafe(v)])
      );
    }
    default: {
      const list =
        typeof value === 'string' ? JSON.parse(value) : Array.from(value as ArrayLike<unknown>);
      if (!Array.isArray(list)) bad('a JSON array');
      return kind === 'list_int64'
        ? list.map((v: unknown) => BigInt(v as string))
        : list.map(Number);
    }
  }
}

/** Maps one source record (column name -> value) to a row of `mapping.table`. */
export function mapRecord(
  ctx: IngestContext,
  mapping: TableMapping,
  record: Record<string, unknown>
): Row<TableName> {
  const row = ctx.row(mapping.table) as unknown as Record<string, unknown>;
  const used = new Set<string>();
  for (const column of columnsOf(mapping.table)) {
    const source = mapping.columns[column.name];
    let value: unknown = null;
    if (source !== undefined) {
      used.add(source);
      try {
        value = coerce(column.kind, record[source], column.name, mapping.canonical);
      } catch (error) {
        if (error instanceof SyntaxError) {
          throw new RecordProblem('bad-value', {
            column: column.name,
            value: describeValue(record[source]),
            expected: 'JSON text'
          });
        }
        throw error;
      }
    }
    if ((value === null || value === undefined) && mapping.constants?.[column.name] !== undefined) {
      value = coerce(column.kind, mapping.constants[column.name], column.name);
    }
    if (value !== null && value !== undefined) {
      row[column.name] = value;
    }
  }
  if (mapping.keepUnmapped !== false) {
    const attributes = row.attributes as Record<string, string>;
    for (const [key, value] of Object.entries(record)) {
      if (!used.has(key) && value !== null && value !== undefined && value !== '') {
        attributes[key] = jsonSafe(value);
      }
    }
  }
  return row as unknown as Row<TableName>;
}
