/**
 * TypeScript row types derived from the table declaration in `tables.ts`: a row of table `T` has
 * one property per column, typed by the column's kind and nullability. Nothing here is written by
 * hand per column, so the types cannot drift from the schema.
 */
import { ColumnKind, TableName, TABLES } from './tables';

/** The TypeScript value of a non-null cell of each column kind. */
export interface KindValues {
  timestamp_ns: bigint;
  utf8: string;
  int32: number;
  int64: bigint;
  float64: number;
  bool: boolean;
  attributes: Attributes;
  list_int64: bigint[];
  list_float64: number[];
}

/** An attribute map: keys to JSON-encoded values (`'"GET"'`, `'200'`, `'true'`, `'["a"]'`). */
export type Attributes = Record<string, string>;

type ColumnsOf<T extends TableName> = (typeof TABLES)[T]['columns'][number];

type CellOf<C> = C extends { kind: infer K extends ColumnKind; nullable: infer N }
  ? N extends true
    ? KindValues[K] | null
    : KindValues[K]
  : never;

/** A row of canonical table `T`, one property per column. */
export type Row<T extends TableName> = {
  [C in ColumnsOf<T> as C['name']]: CellOf<C>;
};

/** A row of the `spans` table. */
export type SpanRow = Row<'spans'>;
/** A row of the `logs` table. */
export type LogRow = Row<'logs'>;
/** A row of the `metric_points` table. */
export type MetricPointRow = Row<'metric_points'>;
/** A row of the `events` table. */
export type EventRow = Row<'events'>;

/** The name of a column of table `T`. */
export type ColumnName<T extends TableName> = ColumnsOf<T>['name'];

/**
 * A row with every column null, or an empty map for the non-null attribute columns: the starting
 * point adapters fill in, so a row always has every column.
 */
export function emptyRow<T extends TableName>(table: T): Row<T> {
  const row: Record<string, unknown> = {};
  for (const column of TABLES[table].columns) {
    row[column.name] = column.kind === 'attributes' ? {} : null;
  }
  return row as Row<T>;
}

/**
 * The first non-nullable column of `row` that is null, or undefined when the row is complete:
 * adapters quarantine such rows instead of writing an invalid batch.
 */
export function missingRequiredColumn<T extends TableName>(
  table: T,
  row: Row<T>
): string | undefined {
  const cells = row as unknown as Record<string, unknown>;
  for (const column of TABLES[table].columns) {
    if (!column.nullable && (cells[column.name] === null || cells[column.name] === undefined)) {
      return column.name;
    }
  }
  return undefined;
}
