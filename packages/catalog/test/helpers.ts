/** Shared test helpers: temporary stores, generated spans, and DuckDB queries on Parquet files. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RecordBatch } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { emptyRow, rowsToRecordBatch, SpanRow } from '@opsbook/telemetry-schema';

/** A fresh empty directory under the OS temp dir. */
export function tempStore(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-catalog-'));
}

/** Epoch base of generated times (2026-01-01T00:00:00Z in ns). */
export const T0 = 1_767_225_600_000_000_000n;

/** A span of `service` from T0+start to T0+end (ns). */
export function span(
  traceId: number,
  spanId: number,
  parentId: number | null,
  service: string,
  start: number,
  end: number,
  fields: Partial<SpanRow> = {}
): SpanRow {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
  return {
    ...emptyRow('spans'),
    trace_id: hex(traceId, 32),
    span_id: hex(spanId, 16),
    parent_span_id: parentId === null ? null : hex(parentId, 16),
    name: `op-${spanId}`,
    kind: 'server',
    start_time: T0 + BigInt(start),
    end_time: T0 + BigInt(end),
    duration_ns: BigInt(end - start),
    status_code: 'unset',
    service_name: service,
    ...fields
  };
}

/** Record batches of `rows`, `size` rows each. */
export function batches(rows: SpanRow[], size = 1000): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let i = 0; i < rows.length; i += size) {
    out.push(rowsToRecordBatch('spans', rows.slice(i, i + size)));
  }
  return out;
}

/** `count` root spans of service `svc` with start times in pseudo-random order. */
export function manySpans(count: number, seed = 1, svc = 'svc'): SpanRow[] {
  let x = seed;
  const rows: SpanRow[] = [];
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const start = (x % 1_000_000) * 1000;
    rows.push(span(seed * 1_000_000 + i + 1, i + 1, null, svc, start, start + 500));
  }
  return rows;
}

/** Runs `sql` in a throwaway in-memory DuckDB and returns the rows as JS objects. */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS();
    connection.closeSync();
    return rows as Record<string, unknown>[];
  } finally {
    instance.closeSync();
  }
}

/** Every file under `dir`, relative, sorted. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter(f => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}
