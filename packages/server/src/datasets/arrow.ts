/**
 * DuckDB result chunks -> Arrow IPC stream. `@duckdb/node-api` has no Arrow export, so each
 * column of a group of chunks is copied into the matching Arrow buffers (typed array + validity
 * bitmap, or offsets + UTF-8 bytes) and the record batches written with `RecordBatchStreamWriter`
 * one at a time, waiting for the socket to drain in between: memory stays at about one batch
 * per request however big the result.
 *
 * Type mapping: VARCHAR->Utf8, BOOLEAN->Bool, (U)TINY/SMALL/INT/BIGINT->(Ui|I)nt8/16/32/64,
 * FLOAT->Float32, DOUBLE->Float64, TIMESTAMP->Timestamp(us), TIMESTAMPTZ->Timestamp(us, UTC),
 * TIMESTAMP_MS/S/NS->Timestamp(ms/s/ns), DATE->Date(day), MAP(VARCHAR, VARCHAR)->Map<Utf8, Utf8>
 * (the canonical attribute maps, so `attributes['http.route']` works in the browser's DuckDB);
 * anything else -> Utf8 of its text form.
 */
import type { ByteSink } from './byte-sink';

import bindings from '@duckdb/node-bindings';
import {
  DuckDBDataChunk,
  DuckDBMapType,
  DuckDBMapValue,
  DuckDBResult,
  DuckDBTypeId,
  DuckDBVarCharVector,
  DuckDBVector
} from '@duckdb/node-api';
import {
  AsyncByteQueue,
  Bool,
  DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeBuilder,
  makeData,
  Map_,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8
} from 'apache-arrow';
import type { Data } from 'apache-arrow';

/** How one result column is converted. */
interface ColumnKind {
  arrow: DataType;
  /** Typed array constructor for fixed-width kinds; null for Bool (a bitmap). */
  array: TypedArrayConstructor | null;
  /** Reads a non-null DuckDB item into the array's element type. */
  read: (item: unknown) => number | bigint;
}

type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

const num = (item: unknown): number => item as number;
const big = (item: unknown): bigint => item as bigint;
/** Timestamp and date values are objects holding their unit's count under one field. */
const field = (name: 'micros' | 'millis' | 'seconds' | 'nanos' | 'days') => (item: unknown) =>
  (item as Record<string, number | bigint>)[name];

/** The conversion for a DuckDB type id (null: stringify into Utf8). */
function kindOf(typeId: DuckDBTypeId): ColumnKind | null {
  switch (typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { arrow: new Bool(), array: null, read: num };
    case DuckDBTypeId.TINYINT:
      return { arrow: new Int8(), array: Int8Array, read: num };
    case DuckDBTypeId.SMALLINT:
      return { arrow: new Int16(), array: Int16Array, read: num };
    case DuckDBTypeId.INTEGER:
      return { arrow: new Int32(), array: Int32Array, read: num };
    case DuckDBTypeId.BIGINT:
      return { arrow: new Int64(), array: BigInt64Array, read: big };
    case DuckDBTypeId.UTINYINT:
      return { arrow: new Uint8(), array: Uint8Array, read: num };
    case DuckDBTypeId.USMALLINT:
      return { arrow: new Uint16(), array: Uint16Array, read: num };
    case DuckDBTypeId.UINTEGER:
      return { arrow: new Uint32(), array: Uint32Array, read: num };
    case DuckDBTypeId.UBIGINT:
      return { arrow: new Uint64(), array: BigUint64Array, read: big };
    case DuckDBTypeId.FLOAT:
      return { arrow: new Float32(), array: Float32Array, read: num };
    case DuckDBTypeId.DOUBLE:
      return { arrow: new Float64(), array: Float64Array, read: num };
    case DuckDBTypeId.TIMESTAMP:
      return { arrow: new TimestampMicrosecond(), array: BigInt64Array, read: field('micros') };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return {
        arrow: new TimestampMicrosecond('UTC'),
        array: BigInt64Array,
        read: field('micros')
      };
    case DuckDBTypeId.TIMESTAMP_MS:
      return { arrow: new TimestampMillisecond(), array: BigInt64Array, read: field('millis') };
    case DuckDBTypeId.TIMESTAMP_S:
      return { arrow: new TimestampSecond(), array: BigInt64Array, read: field('seconds') };
    case DuckDBTypeId.TIMESTAMP_NS:
      return { arrow: new TimestampNanosecond(), array: BigInt64Array, read: field('nanos') };
    case DuckDBTypeId.DATE:
      return { arrow: new DateDay(), array: Int32Array, read: field('days') };
    default:
      return null;
  }
}

/** The Arrow type of a string-to-string map (the telemetry schema's attribute maps). */
function stringMapType(): DataType {
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
}

/** Whether column `i` of `result` is MAP(VARCHAR, VARCHAR). */
function isStringMap(result: DuckDBResult, i: number): boolean {
  if (result.columnTypeId(i) !== DuckDBTypeId.MAP) {
    return false;
  }
  const type = result.columnType(i) as DuckDBMapType;
  return (
    type.keyType.typeId === DuckDBTypeId.VARCHAR && type.valueType.typeId === DuckDBTypeId.VARCHAR
  );
}

/** MAP(VARCHAR, VARCHAR) values, through `getItem`, into an Arrow Map. */
function stringMapData(vectors: DuckDBVector[], type: DataType): Data {
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  for (const vector of vectors) {
    const count = vector.itemCount;
    for (let i = 0; i < count; i++) {
      const item = vector.getItem(i) as DuckDBMapValue | null;
      builder.append(
        item === null
          ? null
          : new Map(
              item.entries.map(e => [String(e.key), e.value === null ? null : String(e.value)])
            )
      );
    }
  }
  return builder.finish().flush();
}

/** The Arrow schema and per-column conversions for a DuckDB result. */
export class BatchBuilder {
  readonly schema: Schema;
  private readonly kinds: (ColumnKind | null)[];
  private readonly maps: boolean[];

  constructor(result: DuckDBResult) {
    const names = result.columnNames();
    this.kinds = names.map((_, i) => kindOf(result.columnTypeId(i)));
    this.maps = names.map((_, i) => isStringMap(result, i));
    this.schema = new Schema(
      names.map(
        (name, i) =>
          new Field(
            name,
            this.maps[i] ? stringMapType() : (this.kinds[i]?.arrow ?? new Utf8()),
            true
          )
      )
    );
  }

  /** Converts a group of chunks into one record batch. */
  build(chunks: DuckDBDataChunk[]): RecordBatch {
    const length = chunks.reduce((n, c) => n + c.rowCount, 0);
    const children = this.kinds.map((kind, column) => {
      const vectors = chunks.map(chunk => chunk.getColumnVector(column));
      if (this.maps[column]) {
        return stringMapData(vectors, this.schema.fields[column].type);
      }
      return kind === null ? utf8Data(vectors, length) : fixedData(kind, vectors, length);
    });
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children });
    return new RecordBatch(this.schema, data);
  }
}

/** Set bits per byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let v = b; v; v >>= 1) {
    n += v & 1;
  }
  return n;
});

/** Validity bitmap (bit set = value present) being filled row by row. */
class Validity {
  readonly bits: Uint8Array;
  nullCount = 0;

  constructor(length: number) {
    this.bits = new Uint8Array((length + 7) >> 3);
  }

  set(row: number, present: boolean): void {
    if (present) {
      this.bits[row >> 3] |= 1 << (row & 7);
    } else {
      this.nullCount++;
    }
  }

  /**
   * Marks `count` rows from `row` (a multiple of 8) from DuckDB validity words; null words mean
   * every row is valid.
   */
  setBytes(row: number, count: number, words: BigUint64Array | null): void {
    const first = row >> 3;
    const fullBytes = count >> 3;
    if (words === null) {
      this.bits.fill(0xff, first, first + fullBytes);
    } else {
      const bytes = new Uint8Array(words.buffer, words.byteOffset, fullBytes);
      this.bits.set(bytes, first);
      for (const byte of bytes) {
        this.nullCount += 8 - POPCOUNT[byte];
      }
    }
    // A last partial byte, bit by bit.
    for (let r = fullBytes << 3; r < count; r++) {
      const valid = words === null || ((words[r >> 6] >> BigInt(r & 63)) & 1n) === 1n;
      this.set(row + r, valid);
    }
  }

  /** Arrow omits the bitmap when nothing is null. */
  get bitmap(): Uint8Array | undefined {
    return this.nullCount > 0 ? this.bits : undefined;
  }
}

/**
 * The typed array and validity words behind a fixed-width DuckDB vector, when `@duckdb/node-api`
 * exposes them (it keeps them as plain fields). Reading them directly is ~50x faster than
 * `getItem` per value; if a future version hides them we fall back to `getItem`.
 */
function rawParts(
  vector: DuckDBVector,
  array: TypedArrayConstructor
): { items: ArrayLike<number | bigint>; validity: BigUint64Array | null } | null {
  const raw = vector as unknown as {
    items?: unknown;
    validity?: { data?: unknown; offset?: unknown };
  };
  if (
    !(raw.items instanceof array) ||
    raw.items.length !== vector.itemCount ||
    !raw.validity ||
    raw.validity.offset !== 0 ||
    !(raw.validity.data === null || raw.validity.data instanceof BigUint64Array)
  ) {
    return null;
  }
  return { items: raw.items as ArrayLike<number | bigint>, validity: raw.validity.data };
}

/** Fixed-width columns: values written straight into the typed array. */
function fixedData(kind: ColumnKind, vectors: DuckDBVector[], length: number): Data {
  if (kind.array === null) {
    return boolData(kind, vectors, length);
  }
  const validity = new Validity(length);
  const values = new kind.array(length);
  const isBig = values instanceof BigInt64Array || values instanceof BigUint64Array;
  let row = 0;
  for (const vector of vectors) {
    const count = vector.itemCount;
    const raw = rawParts(vector, kind.array);
    // DuckDB's validity words and Arrow's bitmap share the LSB-first bit order, so a chunk that
    // starts on a byte boundary (chunks hold 2,048 rows) copies over as bytes.
    if (raw && row % 8 === 0) {
      (values as unknown as { set(a: ArrayLike<number | bigint>, at: number): void }).set(
        raw.items,
        row
      );
      validity.setBytes(row, count, raw.validity);
      row += count;
      continue;
    }
    for (let i = 0; i < count; i++, row++) {
      const item = vector.getItem(i);
      validity.set(row, item !== null);
      if (item !== null) {
        const v = kind.read(item);
        values[row] = isBig ? (typeof v === 'bigint' ? v : BigInt(v)) : Number(v);
      }
    }
  }
  // makeData's overloads are per concrete type; the kind table guarantees the pairing.
  return makeData({
    type: kind.arrow,
    length,
    nullCount: validity.nullCount,
    nullBitmap: validity.bitmap,
    data: values
  } as Parameters<typeof makeData>[0]);
}

/** Boolean columns: Arrow stores the values as a bitmap too. */
function boolData(kind: ColumnKind, vectors: DuckDBVector[], length: number): Data {
  const validity = new Validity(length);
  const bits = new Uint8Array((length + 7) >> 3);
  let row = 0;
  for (const vector of vectors) {
    const count = vector.itemCount;
    for (let i = 0; i < count; i++, row++) {
      const item = vector.getItem(i);
      validity.set(row, item !== null);
      if (item) {
        bits[row >> 3] |= 1 << (row & 7);
      }
    }
  }
  return makeData({
    type: kind.arrow as Bool,
    length,
    nullCount: validity.nullCount,
    nullBitmap: validity.bitmap,
    data: bits
  });
}

/** Utf8 columns (VARCHAR, and the text form of every unmapped type). */
function utf8Data(vectors: DuckDBVector[], length: number): Data {
  return rawUtf8Data(vectors, length) ?? decodedUtf8Data(vectors, length);
}

/** The 16-byte `string_t` slots and validity words behind a VARCHAR vector, when exposed. */
function rawStrings(
  vector: DuckDBVector
): { slots: DataView; validity: BigUint64Array | null } | null {
  const raw = vector as unknown as {
    dataView?: unknown;
    validity?: { data?: unknown; offset?: unknown };
  };
  if (
    !(vector instanceof DuckDBVarCharVector) ||
    !(raw.dataView instanceof DataView) ||
    raw.dataView.byteLength !== vector.itemCount * 16 ||
    !raw.validity ||
    raw.validity.offset !== 0 ||
    !(raw.validity.data === null || raw.validity.data instanceof BigUint64Array)
  ) {
    return null;
  }
  return { slots: raw.dataView, validity: raw.validity.data };
}

/**
 * VARCHAR straight from DuckDB's string slots into Arrow's offsets and bytes, without decoding
 * to JS strings and encoding back (that round trip dominated slice time: ~330 ns a value).
 * A slot is 4 bytes of length, then the bytes inline (up to 12) or a 4-byte prefix and a pointer
 * into the chunk's string heap, read through the bindings (the slow case: ~1 µs a value).
 */
function rawUtf8Data(vectors: DuckDBVector[], length: number): Data | null {
  const parts = vectors.map(rawStrings);
  if (parts.some(p => p === null)) {
    return null;
  }
  const valid = (words: BigUint64Array | null, i: number) =>
    words === null || ((words[i >> 6] >> BigInt(i & 63)) & 1n) === 1n;
  let bytes = 0;
  for (const part of parts) {
    const { slots, validity } = part!;
    const count = slots.byteLength >> 4;
    for (let i = 0; i < count; i++) {
      if (valid(validity, i)) {
        bytes += slots.getUint32(i * 16, true);
      }
    }
  }
  const data = new Uint8Array(bytes);
  const offsets = new Int32Array(length + 1);
  const nulls = new Validity(length);
  let row = 0;
  let position = 0;
  for (const part of parts) {
    const { slots, validity } = part!;
    const count = slots.byteLength >> 4;
    for (let i = 0; i < count; i++, row++) {
      const present = valid(validity, i);
      nulls.set(row, present);
      if (present) {
        const at = i * 16;
        const size = slots.getUint32(at, true);
        if (size <= 12) {
          data.set(new Uint8Array(slots.buffer, slots.byteOffset + at + 4, size), position);
        } else {
          const at8 = slots.byteOffset + at + 8;
          data.set(
            bindings.get_data_from_pointer(slots.buffer as ArrayBuffer, at8, size),
            position
          );
        }
        position += size;
      }
      offsets[row + 1] = position;
    }
  }
  return makeData({
    type: new Utf8(),
    length,
    nullCount: nulls.nullCount,
    nullBitmap: nulls.bitmap,
    valueOffsets: offsets,
    data
  });
}

/** Utf8 through `getItem` and JS strings: any vector kind, e.g. the text form of a LIST. */
function decodedUtf8Data(vectors: DuckDBVector[], length: number): Data {
  const validity = new Validity(length);
  const strings: string[] = new Array<string>(length);
  let bytes = 0;
  let row = 0;
  for (const vector of vectors) {
    const count = vector.itemCount;
    for (let i = 0; i < count; i++, row++) {
      const item = vector.getItem(i);
      validity.set(row, item !== null);
      const text = item === null ? '' : typeof item === 'string' ? item : String(item);
      strings[row] = text;
      bytes += Buffer.byteLength(text, 'utf8');
    }
  }
  const data = Buffer.allocUnsafe(bytes);
  const offsets = new Int32Array(length + 1);
  let position = 0;
  for (let r = 0; r < length; r++) {
    position += data.write(strings[r], position, 'utf8');
    offsets[r + 1] = position;
  }
  return makeData({
    type: new Utf8(),
    length,
    nullCount: validity.nullCount,
    nullBitmap: validity.bitmap,
    valueOffsets: offsets,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  });
}

/**
 * The byte sink the Arrow writer writes into: it keeps the pieces for us to send (instead of
 * queueing them for an async reader), so we control when the next batch is produced.
 */
class CollectingSink extends AsyncByteQueue {
  private pieces: Uint8Array[] = [];

  override write(value: Uint8Array): void {
    if (value.byteLength > 0) {
      this.pieces.push(value);
    }
  }

  take(): Uint8Array[] {
    const out = this.pieces;
    this.pieces = [];
    return out;
  }
}

/** Writes Arrow IPC stream bytes to an HTTP response with backpressure. */
export class ArrowResponseWriter {
  private readonly sink = new CollectingSink();
  private readonly writer = new RecordBatchStreamWriter();

  constructor(
    private readonly res: ByteSink,
    schema: Schema
  ) {
    this.writer.reset(this.sink, schema);
  }

  /** Writes one batch and waits until the socket accepted it (or the client left). */
  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows > 0) {
      this.writer.write(batch);
    }
    await this.flush();
  }

  /** Writes the end-of-stream marker and ends the response. */
  async end(): Promise<void> {
    this.writer.finish();
    await this.flush();
    this.res.end();
  }

  private async flush(): Promise<void> {
    let full = false;
    for (const piece of this.sink.take()) {
      full = !this.res.write(piece) || full;
    }
    if (full && !this.res.destroyed) {
      await waitForDrain(this.res);
    }
  }
}

/** Resolves when the socket can take more, or is gone; leaves no listeners behind. */
function waitForDrain(res: ByteSink): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Streams a DuckDB result as Arrow record batches of about `batchRows` rows; returns the row count. */
export async function streamResult(
  result: DuckDBResult,
  res: ByteSink,
  batchRows: number,
  onSchema: () => void
): Promise<number> {
  const builder = new BatchBuilder(result);
  let chunk = await result.fetchChunk();
  onSchema();
  const out = new ArrowResponseWriter(res, builder.schema);
  let rows = 0;
  let group: DuckDBDataChunk[] = [];
  let groupRows = 0;
  while (chunk && chunk.rowCount > 0 && !res.destroyed) {
    group.push(chunk);
    groupRows += chunk.rowCount;
    if (groupRows >= batchRows) {
      await out.write(builder.build(group));
      rows += groupRows;
      group = [];
      groupRows = 0;
    }
    chunk = await result.fetchChunk();
  }
  if (groupRows > 0 && !res.destroyed) {
    await out.write(builder.build(group));
    rows += groupRows;
  }
  if (!res.destroyed) {
    await out.end();
  }
  return rows;
}
