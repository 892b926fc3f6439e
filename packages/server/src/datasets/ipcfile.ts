/**
 * Arrow IPC datasets (`.arrow`/`.feather` files, `.arrows` streams). DuckDB reads these only
 * through a community extension (not available offline), so they are handled with apache-arrow:
 * the schema and row count come from reading the batches, and the projection/time-range route
 * selects columns per batch and keeps the rows in range as zero-copy slices of each batch.
 */
import * as fs from 'node:fs/promises';
import type { ByteSink } from './byte-sink';

import {
  DataType,
  Precision,
  RecordBatch,
  RecordBatchReader,
  Schema,
  TimeUnit
} from 'apache-arrow';

import { ArrowResponseWriter } from './arrow';
import type { ColumnInfo } from './model';

/** Schema, size and time span of an Arrow IPC file. */
export interface IpcDescription {
  columns: ColumnInfo[];
  rowCount: number;
  /** The time column `pickTimeColumn` chose, or null. */
  timeColumn: string | null;
  /** min/max of `timeColumn` in epoch milliseconds, or null. */
  timeRangeMs: { start: number; end: number } | null;
}

/** DuckDB's name for an Arrow type, so listings look the same whatever the file format. */
export function duckTypeName(type: DataType): string {
  if (DataType.isDictionary(type)) {
    return duckTypeName(type.dictionary);
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
    return 'VARCHAR';
  }
  if (DataType.isBool(type)) {
    return 'BOOLEAN';
  }
  if (DataType.isInt(type)) {
    const names: Record<number, string> = {
      8: 'TINYINT',
      16: 'SMALLINT',
      32: 'INTEGER',
      64: 'BIGINT'
    };
    return (type.isSigned ? '' : 'U') + names[type.bitWidth];
  }
  if (DataType.isFloat(type)) {
    return type.precision === Precision.DOUBLE ? 'DOUBLE' : 'FLOAT';
  }
  if (DataType.isTimestamp(type)) {
    if (type.timezone) {
      return 'TIMESTAMP WITH TIME ZONE';
    }
    const units: Record<number, string> = {
      [TimeUnit.SECOND]: 'TIMESTAMP_S',
      [TimeUnit.MILLISECOND]: 'TIMESTAMP_MS',
      [TimeUnit.MICROSECOND]: 'TIMESTAMP',
      [TimeUnit.NANOSECOND]: 'TIMESTAMP_NS'
    };
    return units[type.unit];
  }
  if (DataType.isDate(type)) {
    return 'DATE';
  }
  return String(type);
}

/** Reads every batch of an IPC file or stream, handing each to `visit` (false stops early). */
async function readBatches(
  file: string,
  onSchema: (schema: Schema) => void,
  visit: (batch: RecordBatch) => boolean | Promise<boolean>
): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    onSchema(reader.schema);
    for await (const batch of reader) {
      if (!(await visit(batch))) {
        break;
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Describes an IPC file; `pickTimeColumn` chooses among its timestamp columns. */
export async function describeIpcFile(
  file: string,
  pickTimeColumn: (columns: ColumnInfo[]) => string | null
): Promise<IpcDescription> {
  let columns: ColumnInfo[] = [];
  let timeColumn: string | null = null;
  let rowCount = 0;
  let min = Infinity;
  let max = -Infinity;
  await readBatches(
    file,
    schema => {
      columns = schema.fields.map(f => ({ name: f.name, type: duckTypeName(f.type) }));
      timeColumn = pickTimeColumn(columns);
    },
    batch => {
      rowCount += batch.numRows;
      const vector = timeColumn === null ? null : batch.getChild(timeColumn);
      for (let i = 0; vector && i < vector.length; i++) {
        const v = vector.get(i) as number | null;
        if (v !== null) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
      return true;
    }
  );
  const timeRangeMs = min <= max ? { start: min, end: max } : null;
  return { columns, rowCount, timeColumn, timeRangeMs };
}

/** What to stream from an IPC file. */
export interface IpcQuery {
  columns: string[];
  timeColumn: string | null;
  /** Inclusive bounds in epoch milliseconds (fractions allowed), or null for open. */
  startMs: number | null;
  endMs: number | null;
  limit: number | null;
}

/** Streams the selected columns of the rows in range as an Arrow IPC stream. */
export async function streamIpcFile(
  file: string,
  res: ByteSink,
  query: IpcQuery,
  onSchema: () => void
): Promise<number> {
  let out: ArrowResponseWriter | null = null;
  let remaining = query.limit ?? Infinity;
  let rows = 0;
  const filtered = query.timeColumn !== null && (query.startMs !== null || query.endMs !== null);
  await readBatches(
    file,
    schema => {
      onSchema();
      const selected = new Schema(
        query.columns.map(name => schema.fields.find(f => f.name === name)!)
      );
      out = new ArrowResponseWriter(res, selected);
    },
    async batch => {
      // `selectAt`, not `select`: apache-arrow 17's `RecordBatch.select` returned all-null
      // columns for batches read from IPC files in our tests.
      const indices = query.columns.map(name =>
        batch.schema.fields.findIndex(f => f.name === name)
      );
      const selected = batch.selectAt(indices);
      const time = filtered ? batch.getChild(query.timeColumn!) : null;
      let runStart = -1;
      const emit = async (end: number): Promise<void> => {
        const take = Math.min(end - runStart, remaining);
        if (runStart >= 0 && take > 0) {
          await out!.write(selected.slice(runStart, runStart + take));
          remaining -= take;
          rows += take;
        }
        runStart = -1;
      };
      for (let i = 0; i < batch.numRows && remaining > 0; i++) {
        const v = time ? (time.get(i) as number | null) : 0;
        const keep =
          !time ||
          (v !== null &&
            (query.startMs === null || v >= query.startMs) &&
            (query.endMs === null || v <= query.endMs));
        if (keep && runStart < 0) {
          runStart = i;
        } else if (!keep && runStart >= 0) {
          await emit(i);
        }
      }
      await emit(batch.numRows);
      return remaining > 0 && !res.destroyed;
    }
  );
  if (out && !res.destroyed) {
    await (out as ArrowResponseWriter).end();
  }
  return rows;
}
