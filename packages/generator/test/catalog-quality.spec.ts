/**
 * Catalog quality figures and lineage on a generated scenario, whose answers the generator knows:
 * the error-burst scenario ingested as snapshots, the figures compared with the generated files,
 * a re-ingest adding nothing, and a second generation appended with the first as its parent.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parquetAdapter, parquetFileFromBytes } from '@opsbook/adapters';
import { Catalog } from '@opsbook/catalog';
import { generateTelemetry } from '@opsbook/generator';
import { ParquetQueries, tempDir } from './helpers';

const SPANS = 3000;

async function generate(root: string, seed: number) {
  const outDir = path.join(root, `seed-${seed}`);
  const summary = await generateTelemetry({
    outDir,
    spans: SPANS,
    hours: 2,
    seed,
    scenario: 'error-burst'
  });
  return { outDir, summary };
}

function ingestSpans(catalog: Catalog, file: string) {
  return catalog.ingest({
    dataset: 'burst',
    adapter: parquetAdapter({
      mapping: { table: 'spans', columns: {} },
      file: parquetFileFromBytes(fs.readFileSync(file))
    }),
    input: new Uint8Array(),
    source: file,
    user: 'test'
  });
}

describe('catalog quality figures and lineage on a generated scenario', () => {
  let root: string;
  let catalog: Catalog;
  let first: Awaited<ReturnType<typeof generate>>;
  let db: ParquetQueries;

  beforeAll(async () => {
    root = tempDir('opsbook-generated-catalog-');
    first = await generate(root, 7);
    catalog = Catalog.open(path.join(root, 'store'));
    db = await ParquetQueries.open(first.outDir);
  }, 60_000);

  afterAll(async () => {
    db?.close();
    await catalog?.close();
  });

  it('records what the generated spans hold: rows, nulls, order, and no clock skew', async () => {
    const { snapshots, report } = await ingestSpans(
      catalog,
      path.join(first.outDir, 'spans.parquet')
    );
    expect(report).toMatchObject({ rowsRead: SPANS, rowsStored: SPANS, rowsQuarantined: 0 });
    expect(snapshots).toHaveLength(1);
    const [snapshot] = snapshots;
    const q = snapshot.quality;
    expect(q).toMatchObject({
      rowsIn: SPANS,
      duplicatesWithinInput: 0,
      duplicatesOfEarlierSnapshots: 0,
      rowsQuarantined: 0,
      // The generator writes every file sorted by time.
      outOfOrderRows: 0
    });
    const [truth] = await db.rows(
      `SELECT avg((parent_span_id IS NULL)::INT) AS roots, count(DISTINCT service_name) AS services
       FROM spans`
    );
    expect(q.nullRates.parent_span_id).toBeCloseTo(truth.roots as number, 10);
    expect(q.nullRates.trace_id).toBe(0);
    expect(q.nullRates.trace_state).toBe(1);
    // One clock for every service: cross-service pairs exist and none violates containment.
    expect(q.spanSkew!.length).toBeGreaterThan(0);
    expect(q.spanSkew!.reduce((n, s) => n + s.pairs, 0)).toBeGreaterThan(0);
    expect(q.spanSkew!.filter(s => s.violations > 0)).toEqual([]);
    expect(snapshot.rowCount).toBe(SPANS);
    expect(snapshot.parents).toEqual([]);
  });

  it('adds nothing when the same file is ingested again', async () => {
    const again = await ingestSpans(catalog, path.join(first.outDir, 'spans.parquet'));
    expect(again.report).toMatchObject({
      rowsRead: SPANS,
      rowsStored: 0,
      duplicatesDropped: SPANS,
      unchanged: true
    });
    expect(again.snapshots).toEqual([]);
  });

  it('appends another generation with the first snapshot as its parent', async () => {
    const [a] = catalog.snapshots('burst');
    const second = await generate(root, 8);
    const { snapshots } = await ingestSpans(catalog, path.join(second.outDir, 'spans.parquet'));
    const [b] = snapshots;
    expect(b.parents).toEqual([a.id]);
    expect(catalog.lineage(b.id).map(e => [e.snapshot.id, e.depth])).toEqual([
      [b.id, 0],
      [a.id, 1]
    ]);
    expect(catalog.resolve('burst').files.spans).toEqual([a.file, b.file]);
    // The ground truth travels with the data it describes.
    const truth = JSON.parse(
      fs.readFileSync(path.join(second.outDir, 'ground-truth.json'), 'utf8')
    );
    expect(truth).toMatchObject({ scenario: 'error-burst', rootCauseService: 'inventory' });
  });
});
