/**
 * The DuckDB SELECT behind an `/arrow` request on a Parquet or CSV dataset. Shared by the route
 * (validation) and the Arrow worker (arrow-worker.ts), so it must not import apache-arrow.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { listValue, timestampNanosValue, timestampTZValue, timestampValue } from '@duckdb/node-api';

import { scanFunction } from './catalog';
import { sqlIdentifier } from './engine';
import type { CatalogItem } from './model';

/** A validated `/arrow` request. */
export interface ArrowQuery {
  columns: string[];
  /** Inclusive bounds in epoch microseconds. */
  start: bigint | null;
  end: bigint | null;
  limit: number | null;
}

/** A bound value for a time bound, in the time column's own type (keeps Parquet pushdown exact). */
function timeValue(type: string, micros: bigint): DuckDBValue {
  if (type === 'TIMESTAMP_NS') {
    return timestampNanosValue(micros * 1000n);
  }
  if (type === 'TIMESTAMP WITH TIME ZONE') {
    return timestampTZValue(micros);
  }
  return timestampValue(micros);
}

/**
 * The SELECT for an `/arrow` request on a DuckDB-readable file. Only validated column names (as
 * quoted identifiers) enter the SQL text; the file path, time bounds and limit are bound values.
 */
export function buildSelect(
  item: CatalogItem,
  query: ArrowQuery
): { sql: string; values: DuckDBValue[] } {
  const { entry } = item;
  if (entry.format !== 'parquet' && entry.format !== 'csv') {
    throw new Error(`buildSelect called for a ${entry.format} dataset`);
  }
  const values: DuckDBValue[] = [item.files ? listValue(item.files) : item.path];
  const where: string[] = [];
  const timeType = entry.columns.find(c => c.name === entry.timeColumn)?.type ?? 'TIMESTAMP';
  for (const [bound, op] of [
    [query.start, '>='],
    [query.end, '<=']
  ] as const) {
    if (bound !== null && entry.timeColumn) {
      where.push(`${sqlIdentifier(entry.timeColumn)} ${op} ?`);
      values.push(timeValue(timeType, bound));
    }
  }
  let sql = `SELECT ${query.columns.map(sqlIdentifier).join(', ')} FROM ${scanFunction(entry.format)}`;
  if (where.length > 0) {
    sql += ` WHERE ${where.join(' AND ')}`;
  }
  if (query.limit !== null) {
    sql += ' LIMIT ?';
    values.push(BigInt(query.limit));
  }
  return { sql, values };
}
