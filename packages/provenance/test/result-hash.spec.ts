import {
  Dictionary,
  Float32,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  RecordBatchStreamWriter,
  Table,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray
} from 'apache-arrow';
import { createHash } from 'node:crypto';
import type { DuckDBEngine } from '@opsbook/query-engine';
import { createNodeEngine } from '../../query-engine/src/node';
import { canonicalType } from '../src/canonical-arrow';
import {
  hashArrowBatches,
  hashArrowTable,
  ResultHasher,
  RESULT_ENCODING
} from '../src/result-hash';

/** The same rows cut into batches at the given row offsets (Arrow slices keep buffer offsets). */
function rebatch(table: Table, cuts: number[]): Table {
  const bounds = [0, ...cuts, table.numRows];
  const batches: RecordBatch[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    batches.push(...table.slice(bounds[i], bounds[i + 1]).batches);
  }
  return new Table(table.schema, batches);
}

function legacyIpcRoundTrip(table: Table): Table {
  const writer = new RecordBatchStreamWriter({ writeLegacyIpcFormat: true });
  writer.write(table);
  writer.finish();
  return tableFromIPC(writer.toUint8Array(true));
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const str = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);

describe('canonical result hash', () => {
  let engine: DuckDBEngine;
  beforeAll(async () => {
    engine = await createNodeEngine();
  });
  afterAll(() => engine.dispose());

  it('is SHA-256 over exactly the bytes docs/provenance.md specifies', () => {
    const table = tableFromArrays({ n: Int32Array.from([1, -2]), s: ['é', 'x'] });
    const f64 = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      return b;
    };
    const withNulls = new Table({
      n: vectorFromArray([1, null], new Int32()),
      s: vectorFromArray(['é', null], new Utf8()),
      d: vectorFromArray([-0, NaN], new Float64())
    });
    const expectedPlain = Buffer.concat([
      Buffer.from(`${RESULT_ENCODING}\n`),
      u32(2),
      str('n'),
      str('int32'),
      Buffer.from([0]),
      str('s'),
      str('utf8'),
      Buffer.from([1]),
      Buffer.from([1]),
      u32(1),
      Buffer.from([1]),
      str('é'),
      Buffer.from([1]),
      u32(-2 >>> 0),
      Buffer.from([1]),
      str('x'),
      Buffer.from('end\n'),
      Buffer.from([2, 0, 0, 0, 0, 0, 0, 0])
    ]);
    expect(hashArrowTable(table).hash).toBe(
      createHash('sha256').update(expectedPlain).digest('hex')
    );
    const expectedNulls = Buffer.concat([
      Buffer.from(`${RESULT_ENCODING}\n`),
      u32(3),
      ...['n', 'int32', 's', 'utf8', 'd', 'float64'].flatMap((x, i) =>
        i % 2 ? [str(x), Buffer.from([1])] : [str(x)]
      ),
      Buffer.from([1]),
      u32(1),
      Buffer.from([1]),
      str('é'),
      Buffer.from([1]),
      f64(0),
      Buffer.from([0, 0, 1]),
      Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]),
      Buffer.from('end\n'),
      Buffer.from([2, 0, 0, 0, 0, 0, 0, 0])
    ]);
    expect(hashArrowTable(withNulls).hash).toBe(
      createHash('sha256').update(expectedNulls).digest('hex')
    );
  });

  it('gives a DuckDB result the same hash however it is batched, chunked or re-encoded', async () => {
    const { table } = await engine.query(`
      SELECT i::INTEGER AS id, i::BIGINT * 1000000007 AS big, (i / 7)::DOUBLE AS ratio,
             'svc-' || (i % 13) AS service, TIMESTAMP '2026-11-10 00:00:00' + INTERVAL (i) SECOND AS ts,
             CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
             [i, i + 1, NULL]::INTEGER[] AS ints, {'a': i, 'b': 'x' || i} AS rec,
             MAP {'k': i % 4} AS m, DATE '2026-01-01' + (i % 30)::INTEGER AS day,
             (i * 1.25)::DECIMAL(12, 2) AS amount, i::UBIGINT AS u, i::FLOAT AS f32
      FROM range(5000) r(i)`);
    const reference = hashArrowTable(table);
    expect(reference.rowCount).toBe(5000);
    expect(reference.schema.map(f => f.type)).toEqual([
      'int32',
      'int64',
      'float64',
      'utf8',
      'timestamp[us]',
      'bool',
      'list<int32>',
      'struct<"a": int64, "b": utf8>',
      expect.stringMatching(/^map<utf8 not null, int64>$/),
      'date[day]',
      'float64',
      'uint64',
      'float32'
    ]);
    for (const cuts of [[1], [7, 8, 9], [2047, 2048, 4095], [4999]]) {
      expect(hashArrowTable(rebatch(table, cuts)).hash).toBe(reference.hash);
    }
    expect(hashArrowTable(tableFromIPC(tableToIPC(table, 'stream'))).hash).toBe(reference.hash);
    expect(hashArrowTable(tableFromIPC(tableToIPC(table, 'file'))).hash).toBe(reference.hash);
    expect(hashArrowTable(legacyIpcRoundTrip(rebatch(table, [333]))).hash).toBe(reference.hash);
    const streamed = await hashArrowBatches(table.schema, rebatch(table, [10, 20]).batches);
    expect(streamed.hash).toBe(reference.hash);
  });

  it('hashes a dictionary-encoded column like the plain one', () => {
    const values = ['b', 'a', null, 'b', 'c', 'a'];
    const plain = new Table({ s: vectorFromArray(values, new Utf8()) });
    const dict = new Table({ s: vectorFromArray(values, new Dictionary(new Utf8(), new Int32())) });
    expect(dict.schema.fields[0].type).toBeInstanceOf(Dictionary);
    expect(canonicalType(dict.schema.fields[0].type)).toBe('utf8');
    expect(hashArrowTable(dict).hash).toBe(hashArrowTable(plain).hash);
    expect(hashArrowTable(rebatch(dict, [1, 4])).hash).toBe(hashArrowTable(plain).hash);
  });

  it('canonicalises -0 and every NaN bit pattern', () => {
    const nan2 = new Float64Array(new BigUint64Array([0x7ff0000000000001n]).buffer)[0];
    const a = new Table({ d: vectorFromArray([0, NaN], new Float64()) });
    const b = new Table({ d: vectorFromArray([-0, nan2], new Float64()) });
    expect(hashArrowTable(a).hash).toBe(hashArrowTable(b).hash);
    const c = new Table({ d: vectorFromArray([-0, NaN], new Float32()) });
    const d = new Table({ d: vectorFromArray([0, -NaN], new Float32()) });
    expect(hashArrowTable(c).hash).toBe(hashArrowTable(d).hash);
    expect(hashArrowTable(c).hash).not.toBe(hashArrowTable(a).hash);
  });

  it('changes with a value, the row order, a type, a column name, nullability or a null', async () => {
    const base = await engine.query(
      'SELECT i::INTEGER AS id, i * 0.5 AS v FROM range(100) r(i) ORDER BY i'
    );
    const hash = (sql: string) => engine.query(sql).then(r => hashArrowTable(r.table).hash);
    const reference = hashArrowTable(base.table).hash;
    const variants = [
      'SELECT i::INTEGER AS id, CASE WHEN i = 57 THEN 28.6 ELSE i * 0.5 END AS v FROM range(100) r(i) ORDER BY i',
      'SELECT i::INTEGER AS id, i * 0.5 AS v FROM range(100) r(i) ORDER BY i DESC',
      'SELECT i::BIGINT AS id, i * 0.5 AS v FROM range(100) r(i) ORDER BY i',
      'SELECT i::INTEGER AS ident, i * 0.5 AS v FROM range(100) r(i) ORDER BY i',
      'SELECT i::INTEGER AS id, CASE WHEN i = 3 THEN NULL ELSE i * 0.5 END AS v FROM range(100) r(i) ORDER BY i',
      'SELECT i::INTEGER AS id, i * 0.5 AS v FROM range(99) r(i) ORDER BY i',
      'SELECT i * 0.5 AS v, i::INTEGER AS id FROM range(100) r(i) ORDER BY i'
    ];
    const hashes = await Promise.all(variants.map(hash));
    expect(
      await hash(`SELECT i::INTEGER AS id, i * 0.5 AS v FROM range(100) r(i) ORDER BY i`)
    ).toBe(reference);
    for (const h of hashes) {
      expect(h).not.toBe(reference);
    }
    expect(new Set(hashes).size).toBe(hashes.length);
    // vectorFromArray marks the field nullable; tableFromArrays of a typed array does not.
    const nullable = new Table({ id: vectorFromArray([1], new Int32()) });
    const notNullable = tableFromArrays({ id: Int32Array.from([1]) });
    expect(nullable.schema.fields[0].nullable).toBe(true);
    expect(notNullable.schema.fields[0].nullable).toBe(false);
    expect(hashArrowTable(nullable).hash).not.toBe(hashArrowTable(notNullable).hash);
  });

  it('distinguishes timestamp units and time zones', async () => {
    const hash = (sql: string) => engine.query(sql).then(r => hashArrowTable(r.table));
    const us = await hash("SELECT TIMESTAMP '2026-11-10 00:00:00' AS t");
    const ms = await hash("SELECT TIMESTAMP_MS '2026-11-10 00:00:00' AS t");
    const tz = await hash("SELECT TIMESTAMPTZ '2026-11-10 00:00:00+00' AS t");
    expect(us.schema[0].type).toBe('timestamp[us]');
    expect(ms.schema[0].type).toBe('timestamp[ms]');
    expect(tz.schema[0].type).toMatch(/^timestamp\[us, tz=/);
    expect(new Set([us.hash, ms.hash, tz.hash]).size).toBe(3);
  });

  it('refuses a batch whose schema differs from the result', () => {
    const hasher = new ResultHasher(tableFromArrays({ a: Int32Array.from([1]) }).schema);
    const other = new Table({ a: vectorFromArray([1n], new Int64()) });
    expect(() => hasher.addBatch(other.batches[0])).toThrow(/differs from the result/);
  });

  it('streams a million DuckDB rows without materialising them', async () => {
    const { table } = await engine.query(
      "SELECT i AS id, i * 0.001 AS v, 'svc-' || (i % 100) AS s FROM range(1000000) r(i)"
    );
    const started = Date.now();
    const digest = hashArrowTable(table);
    const ms = Date.now() - started;
    process.stdout.write(`hashed 10^6 rows x 3 columns in ${ms} ms\n`);
    expect(digest.rowCount).toBe(1_000_000);
    // Loose bound, only to catch an accidental per-row allocation (about 1 s on one core).
    expect(ms).toBeLessThan(15_000);
  });
});
