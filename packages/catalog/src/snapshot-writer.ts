/**
 * The snapshot writer: canonical record batches in, immutable Parquet snapshots out.
 *
 *   batches ─▶ add(): the adapter's rows (or the decoded batch), idempotence key, row hash,
 *              arrival order
 *           ─▶ stage_<table> (DuckDB on disk, chunk appends; memory bounded)
 *   finish(): stage_<table> minus later copies of a key, minus keys of the dataset's latest manifest
 *           ─▶ quality figures ─▶ snapshot id (row hashes in stored order)
 *           ─▶ COPY ... ORDER BY time, key TO <work>/<id>.parquet (zstd, row groups) + keys file
 *   publish(): fsync, rename into <store>/snapshots/<dataset>/ (keys file first), fsync the dir
 *
 * Everything before `publish` happens in the ingest's private work directory; the catalog makes a
 * published file visible only when it commits the snapshot's row (see catalog.ts).
 * Each snapshot has a sidecar `<id>.keys.parquet` (one column `key`, sorted) so later ingests
 * deduplicate against it inside DuckDB instead of holding every key in memory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RecordBatch } from 'apache-arrow';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  idempotenceKey,
  recordBatchRows,
  Row,
  rowsRoundTrip,
  TableName,
  TABLES,
  TELEMETRY_SCHEMA_VERSION
} from '@opsbook/telemetry-schema';
import { canonicalCells, cellsHash, SnapshotHasher } from './canonical';
import { CatalogError } from './errors';
import { QualityFigures, TIME_COLUMN } from './model';
import { ArrivalOrder, nullRates, observedOffset, spanSkew } from './quality';
import { lit, openStaging, outputColumns, q, queryRows, StagingTable } from './staging';

/** A snapshot already in the dataset, whose keys new rows are checked against. */
export interface PriorSnapshot {
  /** Its id. */
  id: string;
  /** Its table. */
  table: TableName;
  /** Absolute path of its keys file. */
  keysFile: string;
  /** Its source, for error messages. */
  source: string;
}

/** Options of `SnapshotWriter.open`. */
export interface SnapshotWriterOptions {
  /** The dataset the snapshots belong to. */
  dataset: string;
  /** A fresh private directory for staging and unpublished files (the caller removes it). */
  workDir: string;
  /** Final directory of the dataset's snapshots. */
  snapshotDir: string;
  /** Rows per row group (a multiple of 2,048). */
  rowGroupSize: number;
  /** DuckDB memory limit, e.g. '512MB'. */
  memoryLimit: string;
  /** Snapshots of the dataset's latest manifest. */
  prior: PriorSnapshot[];
  /** Only this table may receive rows. */
  restrictTo?: TableName;
}

/** Per-table figures of the ingest, whether or not a snapshot was written. */
export interface TableOutcome {
  /** The table. */
  table: TableName;
  /** Quality figures (quarantine fields are filled in by the catalog). */
  quality: QualityFigures;
  /** Rows to store (0: no snapshot). */
  rowCount: number;
  /** The written snapshot, when rows remain after deduplication. */
  snapshot?: WrittenSnapshot;
}

/** A snapshot written to the work directory, ready to publish. */
export interface WrittenSnapshot {
  /** Content id. */
  id: string;
  /** Table. */
  table: TableName;
  /** Rows. */
  rowCount: number;
  /** Min and max of the time column, ns. */
  timeRange: { min: bigint; max: bigint };
  /** Current path of the Parquet file (work dir, then final after `publish`). */
  file: string;
  /** Current path of the keys file. */
  keysFile: string;
  /** Parquet size in bytes. */
  bytes: number;
}

function fsyncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Streams canonical batches into staging and writes deduplicated, sorted Parquet snapshots. */
export class SnapshotWriter {
  private readonly staged = new Map<TableName, StagingTable>();
  private readonly arrivals = new Map<TableName, ArrivalOrder>();
  private batches = 0;

  private constructor(
    private readonly options: SnapshotWriterOptions,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection
  ) {}

  /** Opens the staging database in `options.workDir`. */
  static async open(options: SnapshotWriterOptions): Promise<SnapshotWriter> {
    const { instance, connection } = await openStaging(options.workDir, options.memoryLimit);
    return new SnapshotWriter(options, instance, connection);
  }

  /**
   * Stages one batch of canonical table `table`. `rows`, when given, are the row objects `batch`
   * was built from (an adapter's `TableBatch.rows`): they are staged as they are when they
   * round-trip through Arrow exactly, which skips decoding the batch cell by cell (a third of the
   * ingest's time); otherwise the batch is decoded, so the stored rows are the same either way.
   */
  async add(
    table: TableName,
    batch: RecordBatch | (() => RecordBatch),
    rows?: readonly Row<TableName>[]
  ): Promise<void> {
    this.batches++;
    const { restrictTo, dataset } = this.options;
    if (restrictTo && table !== restrictTo) {
      throw new CatalogError('unexpected-table', { found: table, table: restrictTo, dataset });
    }
    const fast = rows !== undefined && rowsRoundTrip(table, rows);
    const arrow = fast ? null : typeof batch === 'function' ? batch() : batch;
    if (arrow) {
      for (const column of TABLES[table].columns) {
        if (!arrow.getChild(column.name)) {
          throw new CatalogError('schema-mismatch', {
            table,
            column: column.name,
            batch: this.batches
          });
        }
      }
    }
    let stage = this.staged.get(table);
    let arrival = this.arrivals.get(table);
    if (!stage || !arrival) {
      stage = await StagingTable.create(
        this.instance,
        this.connection,
        table,
        this.options.workDir
      );
      arrival = new ArrivalOrder();
      this.staged.set(table, stage);
      this.arrivals.set(table, arrival);
    }
    const timeColumn = TIME_COLUMN[table];
    for (const row of arrow ? recordBatchRows(table, arrow) : rows!) {
      const cells = row as unknown as Record<string, unknown>;
      arrival.add(cells[timeColumn] as bigint);
      const texts = canonicalCells(table, cells);
      stage.append(cells, texts, idempotenceKey(table, row as Row<TableName>), cellsHash(texts));
    }
    await stage.loadIfFull();
  }

  /** Deduplicates, measures and writes one snapshot per staged table into the work directory. */
  async finish(): Promise<TableOutcome[]> {
    const outcomes: TableOutcome[] = [];
    for (const [table, stage] of this.staged) {
      await stage.finish();
      outcomes.push(await this.finishTable(table, stage));
    }
    return outcomes;
  }

  /**
   * Moves written snapshots into the dataset's directory: each file is fsynced, the keys file is
   * renamed before the Parquet file, then the directory is fsynced. Renames within one file system
   * are atomic, so a reader never sees a partial file.
   */
  publish(snapshots: WrittenSnapshot[]): void {
    if (snapshots.length === 0) {
      return;
    }
    fs.mkdirSync(this.options.snapshotDir, { recursive: true });
    for (const snapshot of snapshots) {
      for (const key of ['keysFile', 'file'] as const) {
        const target = path.join(this.options.snapshotDir, path.basename(snapshot[key]));
        fsyncPath(snapshot[key]);
        fs.renameSync(snapshot[key], target);
        snapshot[key] = target;
      }
    }
    fsyncPath(this.options.snapshotDir);
  }

  /** Closes the staging database, after any staging load still running (after a failure). */
  async close(): Promise<void> {
    for (const stage of this.staged.values()) {
      try {
        await stage.abandon();
      } catch {
        // Closing after a failure: the staging files go away with the work directory.
      }
    }
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async finishTable(table: TableName, stage: StagingTable): Promise<TableOutcome> {
    // Deduplicate in place: the staging table becomes the kept rows. Only the narrow (_key, _seq)
    // pairs are aggregated, and rows are deleted only when there are duplicates (DuckDB marks
    // deletions, it does not rewrite the table). Copying every wide row through a window function
    // into a second table cost as much as the rest of the DuckDB work together.
    const kept = q(stage.name);
    const [keys] = await queryRows(
      this.connection,
      `SELECT count(DISTINCT _key) AS n FROM ${kept}`
    );
    const unique = Number(keys.n);
    if (unique < stage.rows) {
      // The first arrival of each key stays.
      await this.connection.run(
        `DELETE FROM ${kept} WHERE _seq NOT IN (SELECT min(_seq) FROM ${kept} GROUP BY _key)`
      );
    }
    await this.dropKnownKeys(table, kept);
    const { rows, nullRates: rates } = await nullRates(this.connection, table, kept);
    const arrival = this.arrivals.get(table)!;
    const quality: QualityFigures = {
      rowsIn: stage.rows,
      duplicatesWithinInput: stage.rows - unique,
      duplicatesOfEarlierSnapshots: unique - rows,
      rowsQuarantined: 0,
      quarantineReasons: {},
      outOfOrderRows: arrival.outOfOrderRows,
      maxLatenessNs: Number(arrival.maxLatenessNs),
      nullRates: rates
    };
    if (rows === 0) {
      return { table, quality, rowCount: 0 };
    }
    if (table === 'spans') {
      quality.spanSkew = await spanSkew(this.connection, kept);
    } else if (table === 'logs') {
      quality.observedOffset = await observedOffset(this.connection, kept);
    }
    const order = `ORDER BY ${q(TIME_COLUMN[table])}, _key`;
    const id = await this.snapshotId(table, kept, order);
    const file = path.join(this.options.workDir, `${id}.parquet`);
    const keysFile = path.join(this.options.workDir, `${id}.keys.parquet`);
    const metadata = [
      ['opsbook.snapshot.id', id],
      ['opsbook.dataset', this.options.dataset],
      ['opsbook.telemetry.table', table],
      ['opsbook.telemetry.schema_version', String(TELEMETRY_SCHEMA_VERSION)]
    ]
      .map(([k, v]) => `${lit(k)}: ${lit(v)}`)
      .join(', ');
    await this.connection.run(
      `COPY (SELECT ${outputColumns(table)} FROM ${kept} ${order}) TO ${lit(file)} ` +
        `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${this.options.rowGroupSize}, ` +
        `KV_METADATA {${metadata}})`
    );
    await this.connection.run(
      `COPY (SELECT _key AS key FROM ${kept} ORDER BY _key) TO ${lit(keysFile)} ` +
        '(FORMAT parquet, COMPRESSION zstd)'
    );
    const time = q(TIME_COLUMN[table]);
    const [range] = await queryRows(
      this.connection,
      `SELECT epoch_ns(min(${time})) AS lo, epoch_ns(max(${time})) AS hi FROM ${kept}`
    );
    const [written] = await queryRows(
      this.connection,
      `SELECT sum(n) AS n FROM (SELECT DISTINCT row_group_id, row_group_num_rows AS n ` +
        `FROM parquet_metadata(${lit(file)}))`
    );
    if (Number(written.n) !== rows) {
      throw new Error(`Wrote ${written.n} rows to ${file} instead of ${rows}; nothing was stored.`);
    }
    return {
      table,
      quality,
      rowCount: rows,
      snapshot: {
        id,
        table,
        rowCount: rows,
        timeRange: { min: BigInt(range.lo as bigint), max: BigInt(range.hi as bigint) },
        file,
        keysFile,
        bytes: fs.statSync(file).size
      }
    };
  }

  private async dropKnownKeys(table: TableName, kept: string): Promise<void> {
    const prior = this.options.prior.filter(p => p.table === table);
    if (prior.length === 0) {
      return;
    }
    for (const p of prior) {
      if (!fs.existsSync(p.keysFile)) {
        throw new CatalogError('snapshot-missing', {
          id: p.id,
          dataset: this.options.dataset,
          file: p.keysFile,
          source: p.source
        });
      }
    }
    const files = prior.map(p => lit(p.keysFile)).join(', ');
    try {
      await this.connection.run(
        `DELETE FROM ${kept} WHERE _key IN (SELECT key FROM read_parquet([${files}]))`
      );
    } catch (error) {
      // DuckDB names the file it could not read; find ours in its message for the snapshot id.
      const message = (error as Error).message;
      const bad = prior.find(p => message.includes(p.keysFile)) ?? prior[0];
      throw new CatalogError(
        'snapshot-corrupt',
        {
          id: bad.id,
          dataset: this.options.dataset,
          file: bad.keysFile,
          source: bad.source,
          reason: message
        },
        { cause: error }
      );
    }
  }

  private async snapshotId(table: TableName, kept: string, order: string): Promise<string> {
    const hasher = new SnapshotHasher(this.options.dataset, table);
    const result = await this.connection.stream(`SELECT _rowhash FROM ${kept} ${order}`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) {
        break;
      }
      for (const hash of chunk.getColumnValues(0)) {
        hasher.add(hash as string);
      }
    }
    return hasher.digest();
  }
}
