/**
 * The canonical result hash: SHA-256 over a canonical byte encoding of an Arrow result (schema and
 * every row in order). Two results hash alike exactly when they have the same column names, types,
 * nullability and the same values in the same order, whatever their record-batch boundaries,
 * chunking, dictionary encoding or the Arrow IPC writer that produced them.
 *
 * Encoding "opsbook.result.v1" (all integers little-endian; see docs/provenance.md):
 *
 *   "opsbook.result.v1\n"                                    magic, 18 bytes of ASCII
 *   u32 column count
 *   per column:  str(name)  str(type descriptor)  u8(nullable ? 1 : 0)
 *   per row, in order, per column in schema order:  cell
 *   "end\n"  u64 row count                                   trailer (also separates 0 columns)
 *
 *   str(s) = u32 byte length, then the UTF-8 bytes
 *   cell   = 0x00 (null) | 0x01 then the value:
 *     bool                          1 byte, 0 or 1
 *     int/uint of N bits, date, time, timestamp, duration, decimal, interval,
 *     fixed-size binary             the value's own little-endian bytes at its declared width
 *                                   (two's complement; decimal = its unscaled 128/256-bit integer)
 *     float16/32/64                 IEEE-754 bits at the declared width, with -0 written as +0 and
 *                                   every NaN as the quiet NaN 0x7e00 / 0x7fc00000 / 0x7ff8000000000000
 *     utf8, binary (also large)     u32 byte length, then the bytes (no decoding, no normalisation)
 *     list (also large)             u32 element count, then each element as a cell
 *     fixed-size list               each of its `n` elements as a cell
 *     struct                        each child in field order as a cell
 *     map                           u32 entry count, then per entry the key cell and the value cell
 *     dictionary                    the cell of the dictionary value the index points at
 *     null type                     always 0x00
 *
 * Type descriptors name the LOGICAL type, so that physical variants hash alike: `utf8` (Utf8 and
 * LargeUtf8), `binary`, `list<T>` (List and LargeList, child field name ignored), a dictionary is
 * its value type. Others: `null`, `bool`, `int8`..`int64`, `uint8`..`uint64`, `float16|32|64`,
 * `decimal<bits>(p,s)`, `fixed_binary(n)`, `date[day|ms]`, `time[s|ms|us|ns]`,
 * `timestamp[unit]` or `timestamp[unit, tz=Zone]`, `duration[unit]`,
 * `interval[year_month|day_time|month_day_nano]`, `fixed_list(n)<T>`,
 * `struct<"name": T, ...>` and `map<K, V>`, where a nested type that is NOT nullable gets a
 * ` not null` suffix. Schema and field metadata (key/value pairs) are not hashed: writers add
 * their own.
 *
 * Unions are refused (DuckDB's UNION type): their canonical form is not defined yet.
 */
import type { RecordBatch, Schema, Table } from 'apache-arrow';
import {
  ByteSink,
  canonicalSchema,
  cellBinder,
  type Binder,
  type CanonicalField,
  type IncrementalHash
} from './canonical-arrow';
import { createSha256 } from './fast-sha256';
import { Sha256, toHex } from './sha256';

/** The version tag at the start of every encoded result; a new encoding gets a new tag. */
export const RESULT_ENCODING = 'opsbook.result.v1';

/** The canonical hash of a result, with what it covers. */
export interface ResultDigest {
  /** Always `RESULT_ENCODING`: which encoding the hash is over. */
  encoding: string;
  /** SHA-256 of the canonical encoding, 64 lower-case hex digits. */
  hash: string;
  rowCount: number;
  schema: CanonicalField[];
}

/**
 * Streaming canonical hasher: feed record batches in order with `addBatch`, then `digest`. Only
 * one batch is touched at a time and no row is materialised as JS values, so a 10^7-row result
 * costs no memory beyond its own batches.
 */
export class ResultHasher {
  private readonly _hash: IncrementalHash;
  private readonly _sink: ByteSink;
  private readonly _schema: CanonicalField[];
  private readonly _binders: Binder[];
  private _rows = 0;
  private _done = false;

  /** `createHash` must return a SHA-256 (the digest is only comparable between SHA-256s). */
  constructor(schema: Schema, options: { createHash?: () => IncrementalHash } = {}) {
    this._hash = options.createHash ? options.createHash() : createSha256();
    this._sink = new ByteSink(this._hash);
    this._schema = canonicalSchema(schema);
    this._binders = schema.fields.map(f => cellBinder(f.type));
    const sink = this._sink;
    const magic = new TextEncoder().encode(`${RESULT_ENCODING}\n`);
    sink.bytes(magic, 0, magic.length);
    sink.u32(this._schema.length);
    for (const field of this._schema) {
      sink.str(field.name);
      sink.str(field.type);
      sink.u8(field.nullable ? 1 : 0);
    }
  }

  /** Adds the rows of the next batch, which must have the same canonical schema. */
  addBatch(batch: RecordBatch): void {
    if (this._done) {
      throw new Error('ResultHasher.addBatch: the hash was already digested.');
    }
    const schema = canonicalSchema(batch.schema);
    const expected = JSON.stringify(this._schema);
    if (JSON.stringify(schema) !== expected) {
      throw new Error(
        `ResultHasher.addBatch: batch ${this._rows === 0 ? 'schema' : `at row ${this._rows}`} ` +
          `${JSON.stringify(schema)} differs from the result's ${expected}.`
      );
    }
    const cells = this._binders.map((bind, c) => bind(batch.data.children[c]));
    const sink = this._sink;
    const n = batch.numRows;
    const width = cells.length;
    for (let row = 0; row < n; row++) {
      for (let c = 0; c < width; c++) {
        cells[c](row, sink);
      }
    }
    this._rows += n;
  }

  /** Finishes the encoding and returns the digest. */
  digest(): ResultDigest {
    if (this._done) {
      throw new Error('ResultHasher.digest: the hash was already digested.');
    }
    this._done = true;
    const end = new TextEncoder().encode('end\n');
    this._sink.bytes(end, 0, end.length);
    this._sink.u64(BigInt(this._rows));
    this._sink.flush();
    return {
      encoding: RESULT_ENCODING,
      hash: toHex(this._hash.digest()),
      rowCount: this._rows,
      schema: this._schema
    };
  }
}

/** The canonical digest of a whole Arrow table (as `QueryEngine.query` returns it). */
export function hashArrowTable(
  table: Table,
  options: { createHash?: () => IncrementalHash } = {}
): ResultDigest {
  const hasher = new ResultHasher(table.schema, options);
  for (const batch of table.batches) {
    hasher.addBatch(batch);
  }
  return hasher.digest();
}

/** The canonical digest of a stream of record batches (e.g. an Arrow `RecordBatchReader`). */
export async function hashArrowBatches(
  schema: Schema,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  options: { createHash?: () => IncrementalHash } = {}
): Promise<ResultDigest> {
  const hasher = new ResultHasher(schema, options);
  for await (const batch of batches) {
    hasher.addBatch(batch);
  }
  return hasher.digest();
}

/**
 * The canonical bytes of one row's cells for the given columns, as a string key: equal keys mean
 * equal values under the canonical encoding (used to check ORDER BY keys for uniqueness).
 */
export function rowKeys(table: Table, columns: number[]): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      const binders = columns.map(c => cellBinder(table.schema.fields[c].type));
      for (const batch of table.batches) {
        const cells = columns.map((c, k) => binders[k](batch.data.children[c]));
        for (let row = 0; row < batch.numRows; row++) {
          const hash = new Sha256();
          const sink = new ByteSink(hash);
          for (const cell of cells) {
            cell(row, sink);
          }
          sink.flush();
          yield toHex(hash.digest());
        }
      }
    }
  };
}
