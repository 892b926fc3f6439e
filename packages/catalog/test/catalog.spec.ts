import * as fs from 'fs';
import * as path from 'path';
import { otlpJsonAdapter } from '@opsbook/adapters';
import { TableName } from '@opsbook/telemetry-schema';
import { Catalog, CatalogError, manifestId } from '../src';
import { batches, duck, filesUnder, manySpans, span, T0, tempStore } from './helpers';

const FIXTURES = path.join(__dirname, '..', '..', 'adapters', 'test', 'fixtures', 'otlp');
const OTLP = ['trace.json', 'logs.json', 'metrics.json', 'events.json'];

const stores: string[] = [];
const catalogs: Catalog[] = [];
function open(dir = tempStore(), options = {}): Catalog {
  stores.push(dir);
  const catalog = Catalog.open(dir, options);
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

async function ingestFixture(catalog: Catalog, file: string, dataset = 'otlp_examples') {
  return catalog.ingest({
    dataset,
    adapter: otlpJsonAdapter(),
    input: fs.readFileSync(path.join(FIXTURES, file)),
    source: path.join(FIXTURES, file),
    user: 'alice'
  });
}

describe('ingesting the OTLP example fixtures', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = open();
    for (const file of OTLP) {
      await ingestFixture(catalog, file);
    }
  });

  it('stores one snapshot per signal, zstd-compressed, with its id in the Parquet footer', async () => {
    const info = catalog.get('otlp_examples');
    expect(Object.keys(info.tables).sort()).toEqual(['logs', 'metric_points', 'spans']);
    const resolved = catalog.resolve('otlp_examples');
    for (const id of resolved.snapshotIds) {
      const s = catalog.snapshot(id);
      expect(s.file).toBe(
        path.join(catalog.storeDir, 'snapshots', 'otlp_examples', `${id}.parquet`)
      );
      const codecs = await duck(`SELECT DISTINCT compression FROM parquet_metadata('${s.file}')`);
      expect(codecs).toEqual([{ compression: 'ZSTD' }]);
      const meta = await duck(
        `SELECT decode(value) AS v FROM parquet_kv_metadata('${s.file}') WHERE decode(key) = 'opsbook.snapshot.id'`
      );
      expect(meta).toEqual([{ v: id }]);
      await expect(catalog.verify(id)).resolves.toBeUndefined();
    }
  });

  it('records source, adapter, user, schema version and time range of each snapshot', () => {
    const [spans] = catalog.snapshots('otlp_examples').filter(s => s.table === 'spans');
    expect(spans).toMatchObject({
      dataset: 'otlp_examples',
      schemaVersion: 1,
      rowCount: 1,
      source: path.join(FIXTURES, 'trace.json'),
      adapter: { name: 'otlp-json', version: '0.1.0' },
      ingestedBy: 'alice',
      timeRange: { min: 1544712660000000000n, max: 1544712660000000000n }
    });
    expect(spans.quality.nullRates.trace_state).toBe(1);
    expect(spans.quality.nullRates.trace_id).toBe(0);
  });

  it('adds nothing when the same file is ingested again, and reports the duplicates', async () => {
    const before = catalog.get('otlp_examples');
    const { snapshots, report, manifest } = await ingestFixture(catalog, 'trace.json');
    expect(snapshots).toEqual([]);
    expect(report).toMatchObject({
      unchanged: true,
      rowsRead: 1,
      rowsStored: 0,
      duplicatesDropped: 1
    });
    expect(manifest).toEqual(before.latest);
    expect(catalog.get('otlp_examples')).toEqual(before);
    expect(filesUnder(path.join(catalog.storeDir, 'tmp'))).toEqual([]);
  });

  it('makes one manifest per ingest that stored rows, each extending the previous one', () => {
    const latest = catalog.get('otlp_examples').latest;
    expect(latest.snapshotIds).toHaveLength(4); // logs.json and events.json each give a logs snapshot
    expect(latest.id).toBe(manifestId('otlp_examples', latest.snapshotIds));
    let m = latest;
    let depth = 1;
    while (m.parentId) {
      m = catalog.manifest(m.parentId);
      depth++;
    }
    expect(depth).toBe(4);
  });
});

describe('snapshot ids', () => {
  it('are the same for the same rows, whatever the batching or input order', async () => {
    const rows = manySpans(300, 7);
    const a = await open().ingest({
      dataset: 'd',
      table: 'spans',
      batches: batches(rows, 50),
      source: 'a'
    });
    const shuffled = [...rows].reverse();
    const b = await open().ingest({
      dataset: 'd',
      table: 'spans',
      batches: batches(shuffled, 123),
      source: 'b'
    });
    expect(a.snapshots[0].id).toMatch(/^[0-9a-f]{64}$/);
    expect(b.snapshots[0].id).toBe(a.snapshots[0].id);
  });

  it('differ when one value differs', async () => {
    const rows = manySpans(50, 8);
    const a = await open().ingest({
      dataset: 'd',
      table: 'spans',
      batches: batches(rows),
      source: 'a'
    });
    rows[10] = { ...rows[10], name: 'changed' };
    const b = await open().ingest({
      dataset: 'd',
      table: 'spans',
      batches: batches(rows),
      source: 'b'
    });
    expect(b.snapshots[0].id).not.toBe(a.snapshots[0].id);
  });
});

describe('the Parquet layout', () => {
  it('sorts rows by time and cuts row groups of the configured size', async () => {
    const catalog = open();
    const { snapshots } = await catalog.ingest({
      dataset: 'big',
      table: 'spans',
      batches: batches(manySpans(5000, 3)),
      source: 'generated',
      policy: { rowGroupSize: 2048 }
    });
    const file = snapshots[0].file;
    const groups = await duck(
      `SELECT DISTINCT row_group_id, row_group_num_rows AS n FROM parquet_metadata('${file}') ORDER BY 1`
    );
    expect(groups.map(g => Number(g.n))).toEqual([2048, 2048, 904]);
    const [order] = await duck(
      `SELECT count(*) FILTER (WHERE start_time < prev) AS descents, count(*) AS n FROM
       (SELECT start_time, lag(start_time) OVER () AS prev FROM read_parquet('${file}'))`
    );
    expect(order).toEqual({ descents: 0n, n: 5000n });
  });

  it('refuses a row group size DuckDB cannot honour, saying why', async () => {
    const ingest = open().ingest({
      dataset: 'd',
      table: 'spans',
      batches: batches(manySpans(5)),
      source: 's',
      policy: { rowGroupSize: 1000 }
    });
    await expect(ingest).rejects.toThrow(/policy.rowGroupSize.*multiple of 2048/);
  });
});

describe('quality figures and lineage on a scenario with known answers', () => {
  // frontend calls backend in three traces: the backend child starts 100 ns before its parent
  // (trace 1), ends 300 ns after it (trace 2), and fits (trace 3); a frontend child in trace 3
  // is same-service and left out. P1 arrives twice; C1 and F3 arrive late (by 100 and 1000 ns).
  const P1 = span(1, 1, null, 'frontend', 1000, 2000, { status_message: 'ok' });
  const scenario = [
    P1,
    P1,
    span(1, 2, 1, 'backend', 900, 1500),
    span(2, 3, null, 'frontend', 3000, 4000),
    span(2, 4, 3, 'backend', 3100, 4300, { status_message: 'slow' }),
    span(3, 5, null, 'frontend', 5000, 6000),
    span(3, 7, 5, 'frontend', 4000, 7000),
    span(3, 6, 5, 'backend', 5100, 5900)
  ];

  it('counts duplicates, late rows, null rates and the cross-service skew', async () => {
    const { snapshots, report } = await open().ingest({
      dataset: 'scenario',
      table: 'spans',
      batches: batches(scenario, 3),
      source: 'scenario'
    });
    expect(report).toMatchObject({ rowsRead: 8, rowsStored: 7, duplicatesDropped: 1 });
    const q = snapshots[0].quality;
    expect(q).toMatchObject({
      rowsIn: 8,
      duplicatesWithinInput: 1,
      duplicatesOfEarlierSnapshots: 0,
      outOfOrderRows: 2,
      maxLatenessNs: 1000
    });
    expect(q.nullRates.status_message).toBeCloseTo(5 / 7);
    expect(q.nullRates.trace_state).toBe(1);
    expect(q.nullRates.end_time).toBe(0);
    expect(q.spanSkew).toEqual([
      {
        parentService: 'frontend',
        childService: 'backend',
        pairs: 3,
        violations: 2,
        maxSkewNs: 300,
        p95SkewNs: 300
      }
    ]);
    expect(snapshots[0].timeRange).toEqual({ min: T0 + 900n, max: T0 + 5100n });
  });

  it('links an appended snapshot to the ones it was deduplicated against', async () => {
    const catalog = open();
    const first = await catalog.ingest({
      dataset: 'scenario',
      table: 'spans',
      batches: batches(scenario.slice(0, 4)),
      source: 'part 1'
    });
    const second = await catalog.ingest({
      dataset: 'scenario',
      table: 'spans',
      batches: batches(scenario.slice(2)),
      source: 'part 2'
    });
    const [a] = first.snapshots;
    const [b] = second.snapshots;
    expect(second.report).toMatchObject({ rowsRead: 6, rowsStored: 4, duplicatesDropped: 2 });
    expect(b.quality.duplicatesOfEarlierSnapshots).toBe(2);
    expect(b.parents).toEqual([a.id]);
    expect(catalog.lineage(b.id).map(e => [e.snapshot.id, e.depth])).toEqual([
      [b.id, 0],
      [a.id, 1]
    ]);
    expect(second.manifest!.parentId).toBe(first.manifest!.id);
    expect(catalog.resolve('scenario').files.spans).toEqual([a.file, b.file]);
    expect(catalog.resolve('scenario', first.manifest!.id).files.spans).toEqual([a.file]);
    expect(catalog.resolve('scenario', b.id)).toMatchObject({
      manifestId: null,
      snapshotIds: [b.id],
      files: { spans: [b.file] }
    });
    const [{ n }] = await duck(
      `SELECT count(*) AS n FROM read_parquet(['${a.file}', '${b.file}'])`
    );
    expect(n).toBe(7n);
  });

  it('measures the offset of log times against observed times per service', async () => {
    const catalog = open();
    const { snapshots } = await ingestFixture(catalog, 'logs.json', 'logs');
    expect(snapshots[0].quality.observedOffset).toEqual([
      { service: 'my.service', records: 1, medianOffsetNs: 0, maxAbsOffsetNs: 0 }
    ]);
  });
});

describe('crashes and damaged files', () => {
  const rows = manySpans(100, 11);

  async function seeded(options = {}) {
    const dir = tempStore();
    const catalog = open(dir, options);
    await catalog.ingest({
      dataset: 'd',
      table: 'spans',
      batches: batches(rows.slice(0, 50)),
      source: 's1'
    });
    return catalog;
  }

  it.each(['beforePublish', 'beforeCommit'] as const)(
    'leaves the catalog, the snapshots and the store unchanged when an ingest dies %s',
    async hook => {
      let armed = false;
      const catalog = await seeded({
        hooks: {
          [hook]: () => {
            if (armed) {
              throw new Error('simulated crash');
            }
          }
        }
      });
      const before = catalog.get('d');
      const files = filesUnder(catalog.storeDir + '/snapshots');
      armed = true;
      await expect(
        catalog.ingest({ dataset: 'd', table: 'spans', batches: batches(rows), source: 's2' })
      ).rejects.toThrow('simulated crash');
      expect(catalog.get('d')).toEqual(before);
      expect(filesUnder(catalog.storeDir + '/snapshots')).toEqual(files);
      expect(filesUnder(catalog.storeDir + '/tmp')).toEqual([]);
      armed = false;
      const retry = await catalog.ingest({
        dataset: 'd',
        table: 'spans',
        batches: batches(rows),
        source: 's2'
      });
      expect(retry.report.rowsStored).toBe(50);
    }
  );

  it('never shows a file a killed ingest left behind, and gc removes it', async () => {
    const catalog = await seeded();
    const orphan = path.join(catalog.storeDir, 'snapshots', 'd', `${'0'.repeat(64)}.parquet`);
    fs.writeFileSync(orphan, 'partial');
    const work = path.join(catalog.storeDir, 'tmp', 'ingest-dead');
    fs.mkdirSync(work);
    expect(Object.values(catalog.resolve('d').files).flat()).not.toContain(orphan);
    expect(catalog.gc(60_000)).toEqual([]);
    expect(catalog.gc(-1).sort()).toEqual([orphan, work].sort());
    expect(fs.existsSync(orphan)).toBe(false);
    expect(catalog.resolve('d').snapshotIds).toHaveLength(1);
  });

  it('names a missing snapshot file and says what to do', async () => {
    const catalog = await seeded();
    const [s] = catalog.snapshots('d');
    fs.rmSync(s.file);
    expect(() => catalog.resolve('d')).toThrow(CatalogError);
    expect(() => catalog.resolve('d')).toThrow(
      new RegExp(`missing its file '${s.file}'.*Restore the file.*re-ingest the source \\(s1\\)`)
    );
  });

  it('names a truncated or overwritten snapshot file', async () => {
    const catalog = await seeded();
    const [s] = catalog.snapshots('d');
    const bytes = fs.readFileSync(s.file);
    fs.writeFileSync(s.file, bytes.subarray(0, 100));
    expect(() => catalog.resolve('d')).toThrow(`'${s.file}'`);
    expect(() => catalog.resolve('d')).toThrow(/is damaged: it is 100 bytes/);
    fs.writeFileSync(s.file, Buffer.alloc(bytes.length, 7));
    await expect(catalog.verify(s.id)).rejects.toThrow(
      new RegExp(`Snapshot file '${s.file}' \\(dataset 'd', snapshot ${s.id}\\) is damaged`)
    );
  });

  it('names a missing keys file when a later ingest needs it', async () => {
    const catalog = await seeded();
    const [s] = catalog.snapshots('d');
    const keys = s.file.replace(/\.parquet$/, '.keys.parquet');
    fs.rmSync(keys);
    await expect(
      catalog.ingest({ dataset: 'd', table: 'spans', batches: batches(rows), source: 's2' })
    ).rejects.toThrow(`missing its file '${keys}'`);
  });
});

describe('errors for people', () => {
  it('rejects a dataset name that is not an identifier', async () => {
    await expect(
      open().ingest({ dataset: 'My Data', table: 'spans', batches: [], source: 's' })
    ).rejects.toThrow(/Dataset name 'My Data' is not valid/);
  });

  it('names the store when a dataset or id is unknown', () => {
    const catalog = open();
    expect(() => catalog.get('nope')).toThrow(
      `No dataset 'nope' in the catalog at '${catalog.storeDir}'`
    );
    expect(() => catalog.snapshot('abc')).toThrow(/No snapshot or manifest 'abc'/);
  });

  it('refuses rows of another table than the one asked for', async () => {
    const ingest = open().ingest({
      dataset: 'd',
      table: 'logs' as TableName,
      adapter: otlpJsonAdapter(),
      input: fs.readFileSync(path.join(FIXTURES, 'trace.json')),
      source: 'trace.json'
    });
    await expect(ingest).rejects.toThrow(/holds spans rows but .* restricted to table 'logs'/);
  });

  it('refuses a catalog database that is not SQLite, naming it', () => {
    const dir = tempStore();
    stores.push(dir);
    fs.writeFileSync(path.join(dir, 'catalog.sqlite'), 'not a database at all, not even close...');
    expect(() => Catalog.open(dir)).toThrow(
      new RegExp(`catalog database '${path.join(dir, 'catalog.sqlite')}' cannot be opened`)
    );
  });
});
