/**
 * Arrow results as JSON-safe tables: what outputs store and views render. Types are reduced to
 * four kinds the charts and tables care about; values become numbers, strings, booleans or null
 * (timestamps as ISO-8601 in UTC, 64-bit integers as numbers when exact, else strings).
 */
import { DataType, type Field, type Table } from 'apache-arrow';

/** How a column behaves in a chart. */
export type ColumnKind = 'temporal' | 'quantitative' | 'nominal' | 'boolean';

/** A column of a stored result. */
export interface ResultColumn {
  name: string;
  /** The Arrow type, printed (e.g. 'Timestamp<MICROSECOND>', 'Float64'). */
  type: string;
  kind: ColumnKind;
}

/** A JSON-safe cell value. */
export type ResultValue = string | number | boolean | null;

/** A result as stored in an output: the first rows, and how many there were in all. */
export interface ResultTable {
  columns: ResultColumn[];
  rows: ResultValue[][];
  totalRows: number;
}

/** The kind of an Arrow field. */
export function columnKind(field: Field): ColumnKind {
  const type = field.type;
  if (DataType.isTimestamp(type) || DataType.isDate(type)) {
    return 'temporal';
  }
  if (DataType.isInt(type) || DataType.isFloat(type) || DataType.isDecimal(type)) {
    return 'quantitative';
  }
  if (DataType.isBool(type)) {
    return 'boolean';
  }
  return 'nominal';
}

/** Converts the first `maxRows` rows of an Arrow table. */
export function toResultTable(table: Table, maxRows: number): ResultTable {
  const fields = table.schema.fields;
  const columns = fields.map(f => ({ name: f.name, type: String(f.type), kind: columnKind(f) }));
  const count = Math.min(table.numRows, maxRows);
  const rows: ResultValue[][] = Array.from({ length: count }, () => new Array(fields.length));
  fields.forEach((field, c) => {
    const vector = table.getChildAt(c)!;
    const convert = converter(field);
    for (let r = 0; r < count; r++) {
      rows[r][c] = convert(vector.get(r));
    }
  });
  return { columns, rows, totalRows: table.numRows };
}

function converter(field: Field): (value: unknown) => ResultValue {
  const type = field.type;
  if (DataType.isTimestamp(type) || DataType.isDate(type)) {
    return v => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
  }
  if (DataType.isDecimal(type)) {
    return v => (v === null || v === undefined ? null : Number(String(v)) / 10 ** type.scale);
  }
  return plain;
}

function plain(value: unknown): ResultValue {
  if (value === null || value === undefined) {
    return null;
  }
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    default:
      if (value instanceof Uint8Array) {
        return `<${value.length} bytes>`;
      }
      if (typeof (value as { toJSON?: () => unknown }).toJSON === 'function') {
        return JSON.stringify((value as { toJSON: () => unknown }).toJSON(), (_, v) =>
          typeof v === 'bigint' ? v.toString() : v
        );
      }
      return String(value);
  }
}
