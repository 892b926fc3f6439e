/**
 * Arrow schemas and record batches derived from `tables.ts`. Timestamps are built straight from
 * their BigInt64Array of nanoseconds (Arrow JS builders take milliseconds as numbers, which would
 * lose the nanoseconds); every other kind goes through `vectorFromArray` with its fixed type.
 */
import {
  Bool,
  DataType,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  makeVector,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampNanosecond,
  Utf8,
  Vector,
  makeBuilder
} from 'apache-arrow';
import { Row } from './rows';
import { ColumnKind, TableName, TABLES, TELEMETRY_SCHEMA_VERSION } from './tables';

/** The Arrow type of each column kind. */
export function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case 'timestamp_ns':
      return new TimestampNanosecond('UTC');
    case 'utf8':
      return new Utf8();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'attributes':
      return new Map_(
        new Field(
          'entries',
          new Struct<{ key: Utf8; value: Utf8 }>([
            new Field('key', new Utf8(), false),
            new Field('value', new Utf8(), true)
          ]),
          false
        )
      );
    case 'list_int64':
      return new List(new Field('item', new Int64(), true));
    case 'list_float64':
      return new List(new Field('item', new Float64(), true));
  }
}

const schemas = new Map<TableName, Schema>();

/**
 * The Arrow schema of a canonical table. Its metadata carries `opsbook.telemetry.table` and
 * `opsbook.telemetry.schema_version` so a stored batch says what it is.
 */
export function arrowSchema(table: TableName): Schema {
  let schema = schemas.get(table);
  if (!schema) {
    schema = new Schema(
      TABLES[table].columns.map(col => new Field(col.name, arrowType(col.kind), col.nullable)),
      new Map([
        ['opsbook.telemetry.table', table],
        ['opsbook.telemetry.schema_version', String(TELEMETRY_SCHEMA_VERSION)]
      ])
    );
    schemas.set(table, schema);
  }
  return schema;
}

function timestampVector(values: unknown[]): Vector {
  const data = new BigInt64Array(values.length);
  const validity = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  values.forEach((value, i) => {
    if (value === null || value === undefined) {
      nullCount++;
    } else {
      data[i] = value as bigint;
      validity[i >> 3] |= 1 << (i & 7);
    }
  });
  return makeVector(
    makeData({
      type: new TimestampNanosecond('UTC'),
      length: values.length,
      nullCount,
      data,
      nullBitmap: nullCount ? validity : undefined
    })
  );
}

/** Builds one record batch of `table` from complete rows (see `emptyRow`). */
export function rowsToRecordBatch<T extends TableName>(
  table: T,
  rows: readonly Row<T>[]
): RecordBatch {
  const schema = arrowSchema(table);
  const children = TABLES[table].columns.map((column, i) => {
    const values = rows.map(row => (row as unknown as Record<string, unknown>)[column.name]);
    if (column.kind === 'timestamp_ns') {
      return timestampVector(values).data[0];
    }
    // One builder flush gives exactly one Data chunk (vectorFromArray may return several).
    const builder = makeBuilder({ type: schema.fields[i].type, nullValues: [null, undefined] });
    for (const value of values) {
      builder.append(value);
    }
    return builder.finish().flush();
  });
  const struct = makeData({
    type: new Struct(schema.fields),
    length: rows.length,
    nullCount: 0,
    children
  });
  return new RecordBatch(schema, struct);
}

/** An empty table of `table`'s schema. */
export function emptyTable(table: TableName): Table {
  return new Table(arrowSchema(table));
}

function cellValue(kind: ColumnKind, vector: Vector, index: number): unknown {
  if (!vector.isValid(index)) {
    return null;
  }
  switch (kind) {
    case 'timestamp_ns': {
      // Read the raw int64 (Arrow JS's getter rounds to milliseconds).
      let offset = index;
      for (const data of vector.data) {
        if (offset < data.length) {
          return (data.values as BigInt64Array)[data.offset + offset];
        }
        offset -= data.length;
      }
      return null;
    }
    case 'attributes': {
      const entries = vector.get(index) as { toJSON(): Record<string, string> };
      return { ...entries.toJSON() };
    }
    case 'list_int64':
    case 'list_float64': {
      const list = vector.get(index) as { toArray(): ArrayLike<unknown> };
      return Array.from(list.toArray());
    }
    case 'int64':
      return BigInt(vector.get(index) as bigint);
    default:
      return vector.get(index);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// `String.prototype.isWellFormed` (ES2024, Node 20+): a string without lone surrogates. Where the
// runtime lacks it, no string counts as well-formed and callers take the exact (slow) path.
const isWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
const wellFormed = (text: string): boolean => isWellFormed !== undefined && isWellFormed.call(text);

const isInt64 = (value: unknown): boolean =>
  typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX;

function cellRoundTrips(kind: ColumnKind, value: unknown): boolean {
  if (value === null || value === undefined) {
    return true;
  }
  switch (kind) {
    case 'timestamp_ns':
    case 'int64':
      return isInt64(value);
    case 'utf8':
      return typeof value === 'string' && wellFormed(value);
    case 'int32':
      return typeof value === 'number' && (value | 0) === value;
    case 'float64':
      return typeof value === 'number';
    case 'bool':
      return typeof value === 'boolean';
    case 'attributes': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        return false;
      }
      const map = value as Record<string, unknown>;
      for (const key in map) {
        const cell = map[key];
        if (
          !wellFormed(key) ||
          (cell !== null && (typeof cell !== 'string' || !wellFormed(cell)))
        ) {
          return false;
        }
      }
      return true;
    }
    case 'list_int64':
      return Array.isArray(value) && value.every(isInt64);
    case 'list_float64':
      return Array.isArray(value) && value.every(item => typeof item === 'number');
  }
}

/**
 * Whether `rowsToRecordBatch` then `recordBatchRows` would give back exactly these rows (same JS
 * values in every column): every cell is null or already of its column kind's JS type and range,
 * and every string is well-formed UTF-16 (a lone surrogate would come back as U+FFFD). Consumers
 * that want row objects (the catalog's staging) use the rows as they are when this holds, and skip
 * an Arrow encode/decode that costs more than the rest of the ingest; otherwise they decode the
 * batch, so the result never depends on which path was taken.
 */
export function rowsRoundTrip<T extends TableName>(table: T, rows: readonly Row<T>[]): boolean {
  const columns = TABLES[table].columns;
  for (const row of rows) {
    const cells = row as unknown as Record<string, unknown>;
    for (const column of columns) {
      if (!cellRoundTrips(column.kind, cells[column.name])) {
        return false;
      }
    }
  }
  return true;
}

/**
 * Decodes the rows of a canonical record batch (or table) back into row objects, losslessly:
 * nanosecond timestamps and int64 values as bigint, maps as plain objects, lists as arrays.
 */
export function recordBatchRows<T extends TableName>(
  table: T,
  batch: RecordBatch | Table
): Row<T>[] {
  const columns = TABLES[table].columns.map(column => ({
    column,
    vector: batch.getChild(column.name)
  }));
  const rows: Row<T>[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const { column, vector } of columns) {
      row[column.name] = vector ? cellValue(column.kind, vector, i) : null;
    }
    rows.push(row as Row<T>);
  }
  return rows;
}
