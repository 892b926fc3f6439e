/**
 * The canonical encoding of Arrow types and cells (the format is specified in result-hash.ts and
 * docs/provenance.md): type descriptors, and per-type cell writers that read Arrow's buffers
 * directly, so hashing never materialises rows as JavaScript values.
 */
import {
  DataType,
  IntervalUnit,
  TimeUnit,
  type Data,
  type Field,
  type Schema,
  type Vector
} from 'apache-arrow';

/** One column of a result as the canonical encoding sees it. */
export interface CanonicalField {
  name: string;
  /** The canonical type descriptor (see result-hash.ts). */
  type: string;
  nullable: boolean;
}

const UNIT: Record<number, string> = {
  [TimeUnit.SECOND]: 's',
  [TimeUnit.MILLISECOND]: 'ms',
  [TimeUnit.MICROSECOND]: 'us',
  [TimeUnit.NANOSECOND]: 'ns'
};

const INTERVAL: Record<number, string> = {
  [IntervalUnit.YEAR_MONTH]: 'year_month',
  [IntervalUnit.DAY_TIME]: 'day_time',
  [IntervalUnit.MONTH_DAY_NANO]: 'month_day_nano'
};

// Arrow's DataType classes type their parameters loosely (`any` children); read them through
// this narrow view instead of spreading casts around.
interface TypeParams {
  bitWidth?: number;
  isSigned?: boolean;
  precision?: number;
  scale?: number;
  unit?: number;
  timezone?: string | null;
  byteWidth?: number;
  listSize?: number;
  children?: Field[];
  dictionary?: DataType;
}

/** The canonical descriptor of an Arrow type (see the module comment). */
export function canonicalType(type: DataType): string {
  const t = type as DataType & TypeParams;
  if (DataType.isDictionary(type)) {
    return canonicalType(t.dictionary!);
  }
  if (DataType.isNull(type)) return 'null';
  if (DataType.isBool(type)) return 'bool';
  if (DataType.isInt(type)) return `${t.isSigned ? 'int' : 'uint'}${t.bitWidth}`;
  if (DataType.isFloat(type)) return `float${[16, 32, 64][t.precision!]}`;
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'utf8';
  if (DataType.isBinary(type) || DataType.isLargeBinary(type)) return 'binary';
  if (DataType.isFixedSizeBinary(type)) return `fixed_binary(${t.byteWidth})`;
  if (DataType.isDecimal(type)) return `decimal${t.bitWidth}(${t.precision},${t.scale})`;
  if (DataType.isDate(type)) return `date[${t.unit === 0 ? 'day' : 'ms'}]`;
  if (DataType.isTime(type)) return `time[${UNIT[t.unit!]}]`;
  if (DataType.isTimestamp(type)) {
    return `timestamp[${UNIT[t.unit!]}${t.timezone ? `, tz=${t.timezone}` : ''}]`;
  }
  if (DataType.isDuration(type)) return `duration[${UNIT[t.unit!]}]`;
  if (DataType.isInterval(type)) return `interval[${INTERVAL[t.unit!] ?? t.unit}]`;
  if (DataType.isList(type)) return `list<${child(t.children![0])}>`;
  if (DataType.isFixedSizeList(type)) return `fixed_list(${t.listSize})<${child(t.children![0])}>`;
  if (DataType.isStruct(type)) {
    return `struct<${t.children!.map(f => `${JSON.stringify(f.name)}: ${child(f)}`).join(', ')}>`;
  }
  if (DataType.isMap(type)) {
    const entries = (t.children![0].type as DataType & TypeParams).children!;
    return `map<${child(entries[0])}, ${child(entries[1])}>`;
  }
  throw unsupported(type);
}

function child(field: Field): string {
  return canonicalType(field.type) + (field.nullable ? '' : ' not null');
}

function unsupported(type: DataType): Error {
  return new Error(
    `Cannot hash a result column of Arrow type ${String(type)}: the canonical result encoding ` +
      'does not define it. Cast the column (e.g. to VARCHAR) in the query.'
  );
}

/** The canonical fields of an Arrow schema. */
export function canonicalSchema(schema: Schema): CanonicalField[] {
  return schema.fields.map(f => ({
    name: f.name,
    type: canonicalType(f.type),
    nullable: f.nullable
  }));
}

/**
 * An incremental SHA-256. The built-in `Sha256` runs everywhere; on the server, Node's
 * `() => createHash('sha256')` fits this shape and is several times faster.
 */
export interface IncrementalHash {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

/** Buffers the canonical bytes and feeds them to the hash in 64 KiB pieces. */
export class ByteSink {
  private readonly _buf = new Uint8Array(1 << 16);
  private readonly _view = new DataView(this._buf.buffer);
  private _pos = 0;

  constructor(private readonly _hash: IncrementalHash) {}

  private _room(n: number): number {
    if (this._pos + n > this._buf.length) {
      this.flush();
    }
    const at = this._pos;
    this._pos += n;
    return at;
  }

  u8(v: number): void {
    this._buf[this._room(1)] = v;
  }
  u16(v: number): void {
    this._view.setUint16(this._room(2), v, true);
  }
  u32(v: number): void {
    this._view.setUint32(this._room(4), v, true);
  }
  u64(v: bigint): void {
    this._view.setBigUint64(this._room(8), v, true);
  }
  i64(v: bigint): void {
    this._view.setBigInt64(this._room(8), v, true);
  }
  f32(v: number): void {
    const at = this._room(4);
    if (v !== v) {
      this._view.setUint32(at, 0x7fc00000, true);
    } else {
      this._view.setFloat32(at, v === 0 ? 0 : v, true);
    }
  }
  f64(v: number): void {
    const at = this._room(8);
    if (v !== v) {
      this._view.setUint32(at, 0, true);
      this._view.setUint32(at + 4, 0x7ff80000, true);
    } else {
      this._view.setFloat64(at, v === 0 ? 0 : v, true);
    }
  }
  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 16 && this._pos + n <= this._buf.length) {
      // Short values (numbers, most strings): a loop beats creating a subarray per value.
      const buf = this._buf;
      let pos = this._pos;
      for (let k = start; k < end; k++) {
        buf[pos++] = src[k];
      }
      this._pos = pos;
      return;
    }
    if (n > this._buf.length - this._pos) {
      this.flush();
      if (n > this._buf.length) {
        this._hash.update(src.subarray(start, end));
        return;
      }
    }
    this._buf.set(src.subarray(start, end), this._pos);
    this._pos += n;
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b, 0, b.length);
  }
  flush(): void {
    if (this._pos > 0) {
      this._hash.update(this._buf.subarray(0, this._pos));
      this._pos = 0;
    }
  }
}

/** Arrow's Data with the buffers the writers read (Arrow types them loosely). */
interface Buffers {
  offset: number;
  length: number;
  stride: number;
  nullCount: number;
  nullBitmap?: Uint8Array;
  values: ArrayLike<number | bigint> & ArrayBufferView & { BYTES_PER_ELEMENT: number };
  valueOffsets: ArrayLike<number | bigint>;
  children: Data[];
  dictionary?: Vector;
}

/** Writes the cell (null tag and value) at `index` of the Data it was bound to. */
export type Cell = (index: number, sink: ByteSink) => void;

/**
 * A type's cell writer, built once per column: `bind(data)` once per batch (reading the batch's
 * buffers and binding nested children), then the bound `Cell` once per row. Nothing is looked up
 * or allocated per cell.
 */
export type Binder = (data: Data) => Cell;

// Fixed-width values are copied as raw memory, which is little-endian on every platform Node and
// the browsers run on; refuse to hash rather than silently differ on a big-endian one.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The cell binder of a type (see `Binder`). */
export function cellBinder(type: DataType): Binder {
  if (DataType.isNull(type)) {
    return () => (_i, sink) => sink.u8(0);
  }
  const value = valueBinder(type);
  if (DataType.isDictionary(type)) {
    // The null tag comes from the dictionary value (an index may point at a null value).
    return data => {
      const valid = validity(data);
      const cell = value(data);
      return (i, sink) => (valid(i) ? cell(i, sink) : sink.u8(0));
    };
  }
  return data => {
    const valid = validity(data);
    const cell = value(data);
    return (i, sink) => {
      if (valid(i)) {
        sink.u8(1);
        cell(i, sink);
      } else {
        sink.u8(0);
      }
    };
  };
}

const allValid = () => true;

function validity(data: Data): (i: number) => boolean {
  const d = data as unknown as Buffers;
  const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
  if (!bitmap || bitmap.length === 0) {
    return allValid;
  }
  const offset = d.offset;
  return i => ((bitmap[(offset + i) >> 3] >> ((offset + i) & 7)) & 1) === 1;
}

/** The value part of a cell (after the 0x01 tag); for dictionaries, the whole cell. */
function valueBinder(type: DataType): Binder {
  const t = type as DataType & TypeParams;
  if (DataType.isDictionary(type)) {
    const inner = cellBinder(t.dictionary!);
    return data => {
      const d = data as unknown as Buffers;
      const chunks = d.dictionary!.data.map(inner);
      const starts: number[] = [];
      let total = 0;
      for (const chunk of d.dictionary!.data) {
        starts.push(total);
        total += chunk.length;
      }
      const indexes = d.values;
      return (i, sink) => {
        const k = Number(indexes[i]);
        if (!(k >= 0 && k < total)) {
          throw new Error(`Dictionary index ${k} is out of range (${total} values).`);
        }
        let c = chunks.length - 1;
        while (starts[c] > k) c--;
        chunks[c](k - starts[c], sink);
      };
    };
  }
  if (DataType.isBool(type)) {
    return data => {
      const { offset, values } = data as unknown as Buffers;
      const bits = values as Uint8Array;
      return (i, sink) => sink.u8((bits[(offset + i) >> 3] >> ((offset + i) & 7)) & 1);
    };
  }
  if (DataType.isFloat(type)) {
    if (t.precision === 0) {
      return data => {
        const values = (data as unknown as Buffers).values as Uint16Array;
        return (i, sink) => {
          const bits = values[i];
          const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x03ff) !== 0;
          sink.u16(isNaN ? 0x7e00 : bits === 0x8000 ? 0 : bits);
        };
      };
    }
    return t.precision === 1
      ? data => {
          const values = (data as unknown as Buffers).values as Float32Array;
          return (i, sink) => sink.f32(values[i]);
        }
      : data => {
          const values = (data as unknown as Buffers).values as Float64Array;
          return (i, sink) => sink.f64(values[i]);
        };
  }
  if (
    DataType.isInt(type) ||
    DataType.isDate(type) ||
    DataType.isTime(type) ||
    DataType.isTimestamp(type) ||
    DataType.isDuration(type) ||
    DataType.isDecimal(type) ||
    DataType.isInterval(type) ||
    DataType.isFixedSizeBinary(type)
  ) {
    return fixedWidthBinder;
  }
  if (
    DataType.isUtf8(type) ||
    DataType.isLargeUtf8(type) ||
    DataType.isBinary(type) ||
    DataType.isLargeBinary(type)
  ) {
    return data => {
      const { values, valueOffsets } = data as unknown as Buffers;
      const bytes = values as unknown as Uint8Array;
      return (i, sink) => {
        const start = Number(valueOffsets[i]);
        const end = Number(valueOffsets[i + 1]);
        if (end - start > 0xffffffff) {
          throw new Error(`Cannot hash a value of ${end - start} bytes: the limit is 4 GiB - 1.`);
        }
        sink.u32(end - start);
        sink.bytes(bytes, start, end);
      };
    };
  }
  if (DataType.isList(type) || DataType.isMap(type)) {
    // A map is a list of key/value structs; each entry writes its key and value cells.
    const element = DataType.isMap(type)
      ? entryBinder((t.children![0].type as DataType & TypeParams).children!)
      : cellBinder(t.children![0].type);
    return data => {
      const { valueOffsets, children } = data as unknown as Buffers;
      const items = element(children[0]);
      return (i, sink) => {
        const start = Number(valueOffsets[i]);
        const end = Number(valueOffsets[i + 1]);
        sink.u32(end - start);
        for (let k = start; k < end; k++) {
          items(k, sink);
        }
      };
    };
  }
  if (DataType.isFixedSizeList(type)) {
    const element = cellBinder(t.children![0].type);
    const size = t.listSize!;
    return data => {
      const items = element((data as unknown as Buffers).children[0]);
      return (i, sink) => {
        for (let k = i * size; k < (i + 1) * size; k++) {
          items(k, sink);
        }
      };
    };
  }
  if (DataType.isStruct(type)) {
    const fields = t.children!.map(f => cellBinder(f.type));
    return data => {
      const children = (data as unknown as Buffers).children;
      const cells = fields.map((bind, c) => bind(children[c]));
      return (i, sink) => {
        for (let c = 0; c < cells.length; c++) {
          cells[c](i, sink);
        }
      };
    };
  }
  throw unsupported(type);
}

/** A map entry: the key cell and the value cell of the entries struct's two children. */
function entryBinder(fields: Field[]): Binder {
  const key = cellBinder(fields[0].type);
  const value = cellBinder(fields[1].type);
  return data => {
    const children = (data as unknown as Buffers).children;
    const k = key(children[0]);
    const v = value(children[1]);
    return (i, sink) => {
      k(i, sink);
      v(i, sink);
    };
  };
}

/**
 * Fixed-width values: `stride` elements of the values array per value. Arrow slices this buffer
 * with the Data, so `index` is already relative; the bytes are the value's little-endian form.
 */
const fixedWidthBinder: Binder = data => {
  if (!LITTLE_ENDIAN) {
    throw new Error('The canonical result hash needs a little-endian platform.');
  }
  const { values, stride } = data as unknown as Buffers;
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const width = values.BYTES_PER_ELEMENT * stride;
  return (i, sink) => sink.bytes(bytes, i * width, (i + 1) * width);
};
