/**
 * The request, report and result types of `Catalog.ingest`, and the row accounting that builds the
 * report from the snapshot writer's per-table outcomes.
 */
import { RecordBatch } from 'apache-arrow';
import {
  Adapter,
  ByteInput,
  ErrorPolicy,
  IngestLimits,
  IngestReport,
  ServiceCatalog
} from '@opsbook/adapters';
import { TableName } from '@opsbook/telemetry-schema';
import { AdapterInfo, ManifestInfo, SnapshotInfo } from './model';
import { TableOutcome, WrittenSnapshot } from './snapshot-writer';

/** How an ingest treats bad records and lays out its files. */
export interface IngestPolicy {
  /** Adapter error policy: fail at the first bad record (default) or quarantine it. */
  onError?: ErrorPolicy;
  /** Rows per Parquet row group; a multiple of 2,048 (default 122,880, see model.ts). */
  rowGroupSize?: number;
  /** DuckDB memory limit of the staging work (default '512MB'). */
  memoryLimit?: string;
  /** Adapter limit overrides. */
  limits?: Partial<IngestLimits>;
  /** Service catalog for the adapter's enrichment. */
  serviceCatalog?: ServiceCatalog;
}

/** One ingest: the rows (batches of one table, or an adapter and its input) and their origin. */
export interface IngestRequest {
  /** Target dataset (created on first ingest). */
  dataset: string;
  /** The table of `batches`; with an adapter, restricts the ingest to that table. */
  table?: TableName;
  /** Canonical record batches of `table`. */
  batches?: AsyncIterable<RecordBatch> | Iterable<RecordBatch>;
  /** An adapter to run over `input` (every table it produces gets a snapshot). */
  adapter?: Adapter;
  /** The adapter's input. */
  input?: ByteInput;
  /** Where the data came from: file path, URL or query. */
  source: string;
  /** Name and version to record; defaults to the adapter's name and @opsbook/adapters' version. */
  adapterInfo?: AdapterInfo;
  /** Who ingests (default: the OS user). */
  user?: string;
  /** Error policy and layout. */
  policy?: IngestPolicy;
  /** Snapshots the new ones were derived from, besides those they were appended to. */
  parents?: string[];
}

/** Row accounting of one ingest: rowsRead = rowsStored + duplicatesDropped + rowsQuarantined. */
export interface CatalogIngestReport {
  /** The dataset. */
  dataset: string;
  /** Rows read (including quarantined records). */
  rowsRead: number;
  /** Rows written to new snapshots. */
  rowsStored: number;
  /** Rows dropped as duplicates (within the input or of the dataset's latest manifest). */
  duplicatesDropped: number;
  /** Records the adapter quarantined. */
  rowsQuarantined: number;
  /** True when nothing new was stored (no snapshot, manifest unchanged). */
  unchanged: boolean;
  /** Per table. */
  tables: Partial<
    Record<
      TableName,
      { rowsIn: number; duplicatesDropped: number; rowsStored: number; snapshotId: string | null }
    >
  >;
  /** The adapter's own report, when an adapter ran. */
  adapter?: IngestReport;
}

/** The outcome of `Catalog.ingest`. */
export interface IngestResult {
  /** New snapshots, one per table that gained rows (empty when nothing new). */
  snapshots: SnapshotInfo[];
  /** Row accounting. */
  report: CatalogIngestReport;
  /** The dataset's latest manifest after the ingest (null if the dataset still has none). */
  manifest: ManifestInfo | null;
}

/** Test seams: called at the steps of an ingest where a crash matters. */
export interface CatalogHooks {
  /** After the snapshot files are written in the work directory, before they are renamed. */
  beforePublish?(snapshots: WrittenSnapshot[]): void | Promise<void>;
  /** After the rename, before the catalog transaction. */
  beforeCommit?(snapshots: WrittenSnapshot[]): void | Promise<void>;
}

/** Options of `Catalog.open`. */
export interface CatalogOptions {
  /** Test seams. */
  hooks?: CatalogHooks;
}

/** Builds the row accounting of one ingest from its per-table outcomes. */
export function makeReport(
  dataset: string,
  outcomes: TableOutcome[],
  quarantined: number,
  adapter?: IngestReport
): CatalogIngestReport {
  const report: CatalogIngestReport = {
    dataset,
    rowsRead: quarantined,
    rowsStored: 0,
    duplicatesDropped: 0,
    rowsQuarantined: quarantined,
    unchanged: true,
    tables: {},
    adapter
  };
  for (const o of outcomes) {
    const duplicates = o.quality.duplicatesWithinInput + o.quality.duplicatesOfEarlierSnapshots;
    report.rowsRead += o.quality.rowsIn;
    report.rowsStored += o.rowCount;
    report.duplicatesDropped += duplicates;
    report.tables[o.table] = {
      rowsIn: o.quality.rowsIn,
      duplicatesDropped: duplicates,
      rowsStored: o.rowCount,
      snapshotId: o.snapshot?.id ?? null
    };
  }
  report.unchanged = report.rowsStored === 0;
  return report;
}
