/**
 * Staging writes rows to DuckDB as JSON lines (staging.ts) and takes an adapter's row objects
 * as they are when they round-trip through Arrow (snapshot-writer.ts). These tests pin both: every
 * column kind's awkward values come back from the snapshot exactly, and the rows path gives the same
 * snapshot, byte for byte, as decoding the Arrow batches.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import { Adapter } from '@opsbook/adapters';
import {
  emptyRow,
  idempotenceKey,
  MetricPointRow,
  Row,
  rowsToRecordBatch,
  TableName
} from '@opsbook/telemetry-schema';
import { canonicalCells, Catalog, cellsHash } from '../src';
import { openStaging, queryRows, StagingTable } from '../src/staging';
import { duck, manySpans, T0, tempStore } from './helpers';

const stores: string[] = [];
const catalogs: Catalog[] = [];
function open(): Catalog {
  const dir = tempStore();
  stores.push(dir);
  const catalog = Catalog.open(dir);
  catalogs.push(catalog);
  return catalog;
}
afterAll(async () => {
  for (const c of catalogs) {
    await c.close().catch(() => undefined);
  }
  for (const dir of stores) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const point = (i: number, fields: Partial<MetricPointRow>): MetricPointRow => ({
  ...emptyRow('metric_points'),
  time: T0 + BigInt(i),
  metric_name: `m${i}`,
  metric_type: 'gauge',
  ...fields
});

/** One row per awkward value of each column kind. */
const AWKWARD: MetricPointRow[] = [
  point(1, { value: -0, value_int: -(2n ** 63n), exp_scale: -(2 ** 31), is_monotonic: false }),
  point(2, { value: NaN, value_int: 2n ** 63n - 1n, exp_scale: 2 ** 31 - 1, is_monotonic: true }),
  point(3, { value: Infinity, sum: -Infinity, min: 5e-324, max: 1.7976931348623157e308 }),
  point(4, { value: 0.1 + 0.2, count: 9007199254740993n, flags: 0 }),
  point(5, {
    description: 'quote " backslash \\ newline \n tab \t nul \u0000 bell \u0007 é 😀 \u2028',
    unit: '',
    attributes: { 'k"ey': '"v\\"al"', ü: 'null', z: '[1,{"a":"b"}]' },
    resource_attributes: { '': '""' }
  }),
  point(6, {
    bucket_counts: [0n, 2n ** 63n - 1n, -(2n ** 63n)],
    explicit_bounds: [-0, 1.5, 1e21],
    quantiles: [NaN, Infinity, -Infinity],
    exp_positive_bucket_counts: []
  }),
  point(7, { start_time: -1n, service_name: 'svc' })
];

function rowsAdapter(rows: MetricPointRow[]): Adapter {
  return {
    name: 'rows',
    async *run(_chunks, ctx) {
      for (const row of rows) {
        ctx.emit('metric_points', row, { record: row.metric_name });
      }
      yield;
    }
  };
}

const sha = (file: string) =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('staging', () => {
  it('stores every column kind exactly, awkward values included', async () => {
    const result = await open().ingest({
      dataset: 'd',
      adapter: rowsAdapter(AWKWARD),
      source: 'awkward'
    });
    const [snapshot] = result.snapshots;
    expect(snapshot.rowCount).toBe(AWKWARD.length);
    const stored = await duck(
      `SELECT * EXCLUDE (time, start_time), epoch_ns(time) AS time, epoch_ns(start_time) AS start_time
       FROM read_parquet('${snapshot.file}') ORDER BY time`
    );
    stored.forEach((cells, i) => {
      const expected = AWKWARD[i] as unknown as Record<string, unknown>;
      for (const [column, value] of Object.entries(expected)) {
        const got = cells[column];
        if (column.endsWith('attributes')) {
          // DuckDB gives a MAP as its entries.
          const entries = (got as { key: string; value: string }[]).map(e => [e.key, e.value]);
          expect(entries.sort()).toEqual(Object.entries(value as object).sort());
        } else if (typeof value === 'number') {
          // toBe is Object.is: -0, NaN and the infinities must survive as themselves.
          expect(got).toBe(value);
        } else if (Array.isArray(value) && value.some(v => typeof v === 'number')) {
          (value as number[]).forEach((v, j) => expect((got as number[])[j]).toBe(v));
        } else {
          expect(got).toEqual(value);
        }
      }
    });
  });

  it("gives the same snapshot bytes from an adapter's rows as from decoded Arrow batches", async () => {
    const fromRows = await open().ingest({
      dataset: 'd',
      adapter: rowsAdapter(AWKWARD),
      source: 'rows'
    });
    const fromBatches = await open().ingest({
      dataset: 'd',
      table: 'metric_points',
      batches: [rowsToRecordBatch('metric_points', AWKWARD)],
      source: 'batches'
    });
    const [a] = fromRows.snapshots;
    const [b] = fromBatches.snapshots;
    expect(a.id).toBe(b.id);
    expect(sha(a.file)).toBe(sha(b.file));
  });

  it('decodes the Arrow batch when rows would not round-trip (a lone surrogate), with the same result', async () => {
    const odd = [point(1, { description: 'lone \ud800 surrogate' })];
    const fromRows = await open().ingest({
      dataset: 'd',
      adapter: rowsAdapter(odd),
      source: 'rows'
    });
    const fromBatches = await open().ingest({
      dataset: 'd',
      table: 'metric_points',
      batches: [rowsToRecordBatch('metric_points', odd)],
      source: 'batches'
    });
    expect(fromRows.snapshots[0].id).toBe(fromBatches.snapshots[0].id);
    const [stored] = await duck(
      `SELECT description FROM read_parquet('${fromRows.snapshots[0].file}')`
    );
    expect(stored.description).toBe('lone \ufffd surrogate');
  });

  it('writes byte-identical snapshots when the same input is ingested twice', async () => {
    const rows: Row<'metric_points'>[] = [];
    for (let i = 0; i < 5000; i++) {
      rows.push(point(i, { value: i / 7, attributes: { i: String(i) } }));
    }
    const a = await open().ingest({ dataset: 'd', adapter: rowsAdapter(rows), source: 'a' });
    const b = await open().ingest({ dataset: 'd', adapter: rowsAdapter(rows), source: 'b' });
    expect(a.snapshots[0].id).toBe(b.snapshots[0].id);
    expect(sha(a.snapshots[0].file)).toBe(sha(b.snapshots[0].file));
  });
});

describe('staging files', () => {
  function stage(stageTable: StagingTable, table: TableName, row: Record<string, unknown>) {
    const cells = canonicalCells(table, row);
    stageTable.append(row, cells, idempotenceKey(table, row as Row<TableName>), cellsHash(cells));
  }

  it('loads full files in the background while two tables fill, and loses no row', async () => {
    const dir = tempStore();
    stores.push(dir);
    const { instance, connection } = await openStaging(dir, '256MB');
    try {
      const spans = await StagingTable.create(instance, connection, 'spans', dir, 16 << 10);
      const rows = manySpans(3000, 3);
      let points: StagingTable | undefined;
      for (let i = 0; i < rows.length; i++) {
        stage(spans, 'spans', rows[i]);
        if (i === 1000) {
          // A second table created while a load of the first may be running.
          points = await StagingTable.create(instance, connection, 'metric_points', dir, 16 << 10);
        }
        if (points) {
          stage(points, 'metric_points', point(i, { value: i }));
        }
        if (i % 100 === 0) {
          await spans.loadIfFull();
          await points?.loadIfFull();
        }
      }
      await spans.finish();
      await points!.finish();
      const [counts] = await queryRows(
        connection,
        `SELECT (SELECT count(*) FROM stage_spans) AS spans,
           (SELECT count(DISTINCT _seq) FROM stage_spans) AS seqs,
           (SELECT count(*) FROM stage_metric_points) AS points`
      );
      expect(counts).toEqual({ spans: 3000n, seqs: 3000n, points: 2000n });
      expect(fs.readdirSync(dir).filter(f => f.endsWith('.ndjson'))).toEqual([]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('reports a failed background load on the next call, and is abandoned cleanly after it', async () => {
    const dir = tempStore();
    stores.push(dir);
    const { instance, connection } = await openStaging(dir, '256MB');
    try {
      const points = await StagingTable.create(instance, connection, 'metric_points', dir, 1024);
      // Not a valid time: staging trusts its caller, so DuckDB's cast fails during the load.
      stage(points, 'metric_points', point(1, { time: 'soon' as unknown as bigint }));
      for (let i = 2; i < 50; i++) {
        stage(points, 'metric_points', point(i, {}));
      }
      await points.loadIfFull();
      await expect(points.finish()).rejects.toThrow(/soon/);
      await points.abandon();
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
