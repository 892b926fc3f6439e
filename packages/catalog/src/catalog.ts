/**
 * `Catalog`: the store of immutable telemetry snapshots and the versions of each dataset.
 *
 *   <store>/catalog.sqlite                          the catalog (store.ts)
 *   <store>/snapshots/<dataset>/<id>.parquet        one snapshot (snapshot-writer.ts)
 *   <store>/snapshots/<dataset>/<id>.keys.parquet   its idempotence keys
 *   <store>/tmp/ingest-*                            private work directories of running ingests
 *
 * An ingest: stage and deduplicate the rows against the dataset's latest manifest, write each
 * table's snapshot in the work directory, rename it into `snapshots/`, then in ONE SQLite
 * transaction insert the snapshots and the new manifest and move `latest`. A crash before the
 * commit leaves at most unreferenced files, which nothing reads (`resolve` only returns files
 * the catalog lists) and `gc` removes. Re-ingesting data already in the dataset stores nothing:
 * no snapshot, no manifest, `latest` unchanged; the report counts the duplicates dropped and the
 * attempt is still logged in `ingests`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ingest as runAdapter, IngestReport } from '@opsbook/adapters';
import { TELEMETRY_SCHEMA_VERSION } from '@opsbook/telemetry-schema';
import { manifestId } from './canonical';
import { CatalogError } from './errors';
import { CatalogOptions, IngestRequest, IngestResult, makeReport } from './ingest';
import {
  AdapterInfo,
  DATASET_NAME,
  DatasetInfo,
  DEFAULT_MEMORY_LIMIT,
  DEFAULT_ROW_GROUP_SIZE,
  LineageEntry,
  ManifestInfo,
  QuarantineSummary,
  ResolvedDataset,
  ROW_GROUP_MULTIPLE,
  SnapshotInfo
} from './model';
import { SnapshotWriter, WrittenSnapshot } from './snapshot-writer';
import { lit, queryRows } from './staging';
import { CatalogStore, NewSnapshot } from './store';

function adaptersVersion(): string {
  try {
    const main = require.resolve('@opsbook/adapters');
    const pkg = path.join(path.dirname(main), '..', 'package.json');
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function* iterate<T>(items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** The catalog of one store directory. */
export class Catalog {
  private store: CatalogStore | null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The store directory (absolute). */
    readonly storeDir: string,
    store: CatalogStore,
    private readonly options: CatalogOptions
  ) {
    this.store = store;
  }

  /** Opens the store in `storeDir`, creating the directory and catalog if needed. */
  static open(storeDir: string, options: CatalogOptions = {}): Catalog {
    const dir = path.resolve(storeDir);
    try {
      fs.mkdirSync(path.join(dir, 'snapshots'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
    } catch (error) {
      throw new CatalogError('store-unusable', { dir, reason: (error as Error).message });
    }
    return new Catalog(dir, new CatalogStore(dir), options);
  }

  /**
   * Ingests rows into `request.dataset` (see the module comment); ingests of one `Catalog` run one
   * at a time.
   */
  ingest(request: IngestRequest): Promise<IngestResult> {
    const run = this.queue.then(() => this.ingestNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Every dataset with its latest version. */
  list(): DatasetInfo[] {
    return this.db()
      .datasetNames()
      .map(name => this.get(name));
  }

  /** A dataset and its latest version. */
  get(dataset: string): DatasetInfo {
    const latest = this.latest(dataset);
    const tables: DatasetInfo['tables'] = {};
    let min: bigint | undefined;
    let max: bigint | undefined;
    for (const s of latest.snapshotIds.map(id => this.snapshot(id))) {
      const t = (tables[s.table] ??= { rows: 0, snapshots: 0 });
      t.rows += s.rowCount;
      t.snapshots++;
      min = min === undefined || s.timeRange.min < min ? s.timeRange.min : min;
      max = max === undefined || s.timeRange.max > max ? s.timeRange.max : max;
    }
    return { name: dataset, latest, tables, timeRange: { min: min ?? 0n, max: max ?? 0n } };
  }

  /** Every snapshot ever made for `dataset`, oldest first. */
  snapshots(dataset: string): SnapshotInfo[] {
    this.latest(dataset);
    return this.db().snapshotsOf(dataset).map(publicInfo);
  }

  /** One snapshot. */
  snapshot(id: string): SnapshotInfo {
    const info = this.db().snapshot(id);
    if (!info) {
      throw new CatalogError('unknown-snapshot', { id, store: this.storeDir });
    }
    return publicInfo(info);
  }

  /** One manifest. */
  manifest(id: string): ManifestInfo {
    const info = this.db().manifest(id);
    if (!info) {
      throw new CatalogError('unknown-snapshot', { id, store: this.storeDir });
    }
    return info;
  }

  /** The snapshot `id` and all its ancestors, nearest first (depth 0 is the snapshot). */
  lineage(id: string): LineageEntry[] {
    this.snapshot(id);
    return this.db()
      .ancestry(id)
      .map(({ id: ancestor, depth }) => ({ snapshot: this.snapshot(ancestor), depth }));
  }

  /**
   * The files to read for `dataset` at `pin` (a manifest id or a snapshot id; default: latest).
   * Checks every file exists with its recorded size; `verify` checks their contents.
   */
  resolve(dataset: string, pin?: string): ResolvedDataset {
    const store = this.db();
    let manifest: ManifestInfo | null = null;
    let ids: string[];
    if (pin === undefined) {
      manifest = this.latest(dataset);
      ids = manifest.snapshotIds;
    } else {
      const asManifest = store.manifest(pin);
      const owner = asManifest?.dataset ?? this.snapshot(pin).dataset;
      if (owner !== dataset) {
        throw new CatalogError('pin-of-other-dataset', { id: pin, owner, dataset });
      }
      manifest = asManifest ?? null;
      ids = asManifest ? asManifest.snapshotIds : [pin];
    }
    const snapshots = ids.map(id => store.snapshot(id)!);
    snapshots.sort((a, b) => (a.timeRange.min < b.timeRange.min ? -1 : a.id < b.id ? -1 : 1));
    const files: ResolvedDataset['files'] = {};
    for (const s of snapshots) {
      checkFile(s);
      (files[s.table] ??= []).push(s.file);
    }
    return { dataset, manifestId: manifest?.id ?? null, snapshotIds: ids, files };
  }

  /** Reads a snapshot's Parquet footer and checks its id, row count and table against the catalog. */
  async verify(id: string): Promise<void> {
    const s = this.db().snapshot(id);
    if (!s) {
      throw new CatalogError('unknown-snapshot', { id, store: this.storeDir });
    }
    checkFile(s);
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    try {
      const connection = await instance.connect();
      const problem = (reason: string) =>
        new CatalogError('snapshot-corrupt', {
          id,
          dataset: s.dataset,
          file: s.file,
          source: s.source,
          reason
        });
      let rows: Record<string, unknown>[];
      try {
        rows = await queryRows(
          connection,
          `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${lit(s.file)})
           UNION ALL SELECT 'rows', CAST(sum(num_rows) AS VARCHAR) FROM parquet_file_metadata(${lit(s.file)})`
        );
      } catch (error) {
        throw problem((error as Error).message);
      }
      const meta = Object.fromEntries(rows.map(r => [r.key, r.value]));
      if (meta['opsbook.snapshot.id'] !== id) {
        throw problem(`its footer names snapshot ${meta['opsbook.snapshot.id'] ?? '(none)'}`);
      }
      if (Number(meta.rows) !== s.rowCount || meta['opsbook.telemetry.table'] !== s.table) {
        throw problem(`it holds ${meta.rows} ${meta['opsbook.telemetry.table']} rows`);
      }
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
  }

  /**
   * Removes leftovers of crashed ingests older than `graceMs` (default one hour, so a running
   * ingest of another process is never touched): work directories and snapshot files no catalog
   * row references. Returns the paths removed.
   */
  gc(graceMs = 3_600_000): string[] {
    const referenced = this.db().referencedFiles();
    const cutoff = Date.now() - graceMs;
    const removed: string[] = [];
    const old = (p: string) => fs.statSync(p).mtimeMs <= cutoff;
    const tmp = path.join(this.storeDir, 'tmp');
    for (const entry of fs.readdirSync(tmp)) {
      const p = path.join(tmp, entry);
      if (old(p)) {
        fs.rmSync(p, { recursive: true, force: true });
        removed.push(p);
      }
    }
    const snapshots = path.join(this.storeDir, 'snapshots');
    for (const dataset of fs.readdirSync(snapshots)) {
      for (const file of fs.readdirSync(path.join(snapshots, dataset))) {
        const p = path.join(snapshots, dataset, file);
        if (!referenced.has(p) && old(p)) {
          fs.rmSync(p, { force: true });
          removed.push(p);
        }
      }
    }
    return removed;
  }

  /** Closes the catalog database (waiting for a running ingest). */
  async close(): Promise<void> {
    await this.queue;
    this.store?.close();
    this.store = null;
  }

  private db(): CatalogStore {
    if (!this.store) {
      throw new CatalogError('closed');
    }
    return this.store;
  }

  private latest(dataset: string): ManifestInfo {
    const id = this.db().latestManifestId(dataset);
    if (!id) {
      throw new CatalogError('unknown-dataset', { dataset, store: this.storeDir });
    }
    return this.db().manifest(id)!;
  }

  private async ingestNow(request: IngestRequest): Promise<IngestResult> {
    const store = this.db();
    const { dataset } = request;
    if (!DATASET_NAME.test(dataset)) {
      throw new CatalogError('bad-dataset-name', { name: dataset });
    }
    const policy = request.policy ?? {};
    const rowGroupSize = policy.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
    if (!Number.isInteger(rowGroupSize) || rowGroupSize <= 0 || rowGroupSize % ROW_GROUP_MULTIPLE) {
      throw new CatalogError('bad-option', {
        option: 'policy.rowGroupSize',
        reason: `${rowGroupSize} is not a positive multiple of ${ROW_GROUP_MULTIPLE} (DuckDB writes whole vectors)`
      });
    }
    if (!request.batches === !request.adapter || (request.batches && !request.table)) {
      throw new CatalogError('no-input');
    }
    const user = request.user ?? os.userInfo().username;
    const before = store.latestManifestId(dataset);
    const base = before ? store.manifest(before)! : null;
    const prior = (base?.snapshotIds ?? []).map(id => store.snapshot(id)!);
    const workDir = fs.mkdtempSync(path.join(this.storeDir, 'tmp', 'ingest-'));
    const snapshotDir = path.join(this.storeDir, 'snapshots', dataset);
    let published: WrittenSnapshot[] = [];
    let committed = false;
    const writer = await SnapshotWriter.open({
      dataset,
      workDir,
      snapshotDir,
      rowGroupSize,
      memoryLimit: policy.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      prior: prior.map(p => ({ id: p.id, table: p.table, keysFile: p.keysFile, source: p.source })),
      restrictTo: request.table
    });
    try {
      const reasons: Record<string, QuarantineSummary> = {};
      let adapterReport: IngestReport | undefined;
      if (request.adapter) {
        const run = runAdapter(request.adapter, request.input ?? new Uint8Array(), {
          onError: policy.onError,
          limits: policy.limits,
          catalog: policy.serviceCatalog,
          onQuarantine: record => {
            const r = (reasons[record.code] ??= { rows: 0, example: record.reason });
            r.rows += record.rows;
          }
        });
        for (;;) {
          const next = await run.next();
          if (next.done) {
            adapterReport = next.value;
            break;
          }
          // Rows when the adapter has them; the Arrow batch is built only if they cannot be used.
          const out = next.value;
          await writer.add(out.table, () => out.batch, out.rows);
        }
      } else {
        for await (const batch of iterate(request.batches!)) {
          await writer.add(request.table!, batch);
        }
      }
      const outcomes = await writer.finish();
      const written = outcomes.flatMap(o => (o.snapshot ? [o.snapshot] : []));
      await this.options.hooks?.beforePublish?.(written);
      writer.publish(written);
      published = written;
      await this.options.hooks?.beforeCommit?.(written);

      const at = new Date().toISOString();
      const quarantined = adapterReport?.rowsQuarantined ?? 0;
      const adapter: AdapterInfo = request.adapterInfo ?? {
        name: request.adapter?.name ?? 'arrow-batches',
        version: adaptersVersion()
      };
      const snapshots: NewSnapshot[] = outcomes
        .filter(o => o.snapshot)
        .map(o => {
          const s = o.snapshot!;
          const appendedTo = prior.filter(p => p.table === o.table).map(p => p.id);
          return {
            id: s.id,
            dataset,
            table: s.table,
            schemaVersion: TELEMETRY_SCHEMA_VERSION,
            rowCount: s.rowCount,
            timeRange: s.timeRange,
            file: s.file,
            keysFile: s.keysFile,
            bytes: s.bytes,
            source: request.source,
            adapter,
            parents: [...new Set([...appendedTo, ...(request.parents ?? [])])].sort(),
            quality: { ...o.quality, rowsQuarantined: quarantined, quarantineReasons: reasons },
            ingestedBy: user,
            ingestedAt: at
          };
        });
      const report = makeReport(dataset, outcomes, quarantined, adapterReport);
      let manifest = base;
      if (snapshots.length) {
        const ids = [...(base?.snapshotIds ?? []), ...snapshots.map(s => s.id)].sort();
        manifest = {
          id: manifestId(dataset, ids),
          dataset,
          snapshotIds: ids,
          parentId: before,
          rowCount: (base?.rowCount ?? 0) + report.rowsStored,
          createdBy: user,
          createdAt: at
        };
      }
      store.transaction(() => {
        const current = store.latestManifestId(dataset);
        if (current !== before) {
          throw new CatalogError('concurrent-ingest', { dataset, manifest: current ?? '(none)' });
        }
        if (manifest && manifest !== base) {
          store.insertVersion(snapshots, manifest);
        }
        store.logIngest({
          dataset,
          at,
          user,
          source: request.source,
          adapter: `${adapter.name}@${adapter.version}`,
          manifestBefore: before,
          manifestAfter: manifest?.id ?? null,
          report
        });
      });
      committed = true;
      return { snapshots: snapshots.map(publicInfo), report, manifest };
    } finally {
      await writer.close();
      if (!committed) {
        // Published but not committed: nobody references these files; remove them now.
        for (const s of published) {
          fs.rmSync(s.file, { force: true });
          fs.rmSync(s.keysFile, { force: true });
        }
      }
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
}

function publicInfo(info: NewSnapshot): SnapshotInfo {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { keysFile, ...rest } = info;
  return rest;
}

function checkFile(s: NewSnapshot): void {
  const details = { id: s.id, dataset: s.dataset, file: s.file, source: s.source };
  let size: number;
  try {
    size = fs.statSync(s.file).size;
  } catch {
    throw new CatalogError('snapshot-missing', details);
  }
  if (size !== s.bytes) {
    throw new CatalogError('snapshot-corrupt', {
      ...details,
      reason: `it is ${size} bytes, but ${s.bytes} were written`
    });
  }
}
