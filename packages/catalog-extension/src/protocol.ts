/**
 * The catalog's HTTP contract as the browser sees it, in one place:
 *
 *   GET  /api/opsbook/catalog               -> { datasets: DatasetSummary[] }
 *   GET  /api/opsbook/catalog/<dataset>     -> { dataset, snapshots: SnapshotDetail[], lineage }
 *   POST /api/opsbook/ingest?dataset=&as=&filename=[&onError=quarantine]   body: raw file bytes
 *   GET  /api/opsbook/pull/sources          -> { sources: PullSource[] }
 *   POST /api/opsbook/pull                  JSON PullRequest
 *
 * Ingest and pull answer `application/x-ndjson`, one JSON object per line:
 *   {"type":"progress","bytesRead":n,"rowsRead":n}   (any number of them)
 *   {"type":"report","report":{...},"snapshots":[...]} | {"type":"error","error":{code,message,position}}
 *
 * The server builds its answers from `@opsbook/catalog`'s `DatasetInfo` and `SnapshotInfo`, whose
 * field names differ slightly from the contract's (`rowCount` / `rows`, `ingestedBy` / `user`,
 * `timeRange: {min, max}` in ns / `{start, end}` in ISO). The `normalize*` functions accept both,
 * so the panel only ever deals with the shapes below.
 */

/** Canonical table names, in display order (`metric_points` is the catalog's name of `metrics`). */
export const TABLE_ORDER = ['spans', 'logs', 'metrics', 'metric_points', 'events'];

/** A time range as ISO-8601 UTC strings. */
export interface TimeRange {
  start: string;
  end: string;
}

/** One table of a dataset's latest version. */
export interface TableSummary {
  /** Canonical table name (`spans`, `logs`, `metrics` or `metric_points`, `events`). */
  table: string;
  /** Rows in the latest version. */
  rows: number | null;
  /** The newest snapshot of the table, when the server says. */
  snapshotId: string | null;
  /** Snapshots of the table in the latest version, when the server says. */
  snapshots: number | null;
  timeRange: TimeRange | null;
}

/** One dataset in `GET /api/opsbook/catalog`. */
export interface DatasetSummary {
  name: string;
  manifestId: string | null;
  /** When its latest version was made (ISO). */
  updated: string | null;
  /** Who made it. */
  by: string | null;
  tables: TableSummary[];
}

/** A column of a snapshot. */
export interface ColumnInfo {
  name: string;
  type: string;
}

/** A quarantine reason with its row count and first message. */
export interface QuarantineReason {
  code: string;
  rows: number;
  example: string;
}

/** Clock skew between two services seen through parent/child spans. */
export interface SpanSkew {
  parentService: string | null;
  childService: string | null;
  pairs: number;
  violations: number;
  maxSkewNs: number;
  p95SkewNs: number;
}

/** Offset of a service's log timestamps against the collector's observed time. */
export interface ObservedOffset {
  service: string | null;
  records: number;
  medianOffsetNs: number;
  maxAbsOffsetNs: number;
}

/** A snapshot's data-quality figures (`QualityFigures` of `@opsbook/catalog`). */
export interface QualityFigures {
  rowsIn: number | null;
  duplicatesWithinInput: number;
  duplicatesOfEarlierSnapshots: number;
  rowsQuarantined: number;
  quarantineReasons: QuarantineReason[];
  outOfOrderRows: number;
  maxLatenessNs: number;
  nullRates: Record<string, number>;
  spanSkew: SpanSkew[];
  observedOffset: ObservedOffset[];
}

/** One snapshot of `GET /api/opsbook/catalog/<dataset>`. */
export interface SnapshotDetail {
  id: string;
  dataset: string;
  table: string;
  schemaVersion: number | null;
  rows: number | null;
  timeRange: TimeRange | null;
  source: string;
  adapter: { name: string; version: string } | null;
  parents: string[];
  quality: QualityFigures | null;
  user: string | null;
  created: string | null;
  /** Columns and types; empty when the server does not send them. */
  columns: ColumnInfo[];
  /** Size of its Parquet file, when known. */
  bytes: number | null;
  /** Its ancestry (parents, their parents, ...), nearest first, when the server sends lineage. */
  ancestors: { id: string; depth: number; table: string; dataset: string }[];
}

/** `GET /api/opsbook/catalog/<dataset>`. */
export interface DatasetDetail {
  dataset: string;
  snapshots: SnapshotDetail[];
}

/** A configured pull source. */
export interface PullSource {
  name: string;
  kind: 'prometheus' | 'alertmanager';
  url: string;
}

/** Body of `POST /api/opsbook/pull`. */
export interface PullRequest {
  /** The configured source's name. */
  source: string;
  /** A name for what is pulled (recorded as the snapshot's source). */
  name: string;
  query?: string;
  /** ISO-8601 UTC. */
  start?: string;
  end?: string;
  /** Prometheus duration (`15s`) or seconds. */
  step?: string;
  dataset: string;
}

/** Where in the input an ingest error is. */
export interface InputPosition {
  line?: number;
  byteOffset?: number;
  record?: string;
}

/** A progress line of an ingest or pull. */
export interface ProgressMessage {
  type: 'progress';
  bytesRead: number;
  rowsRead: number;
}

/** Rows of one table in an ingest report. */
export interface TableReport {
  rowsIn: number;
  duplicatesDropped: number;
  rowsStored: number;
  snapshotId: string | null;
}

/** The report of an ingest or pull. */
export interface IngestReport {
  dataset: string;
  rowsRead: number;
  rowsStored: number;
  duplicatesDropped: number;
  rowsQuarantined: number;
  unchanged: boolean;
  tables: Record<string, TableReport>;
  /** Quarantined samples grouped by reason: code -> rows and first message with position. */
  quarantine: QuarantineReason[];
  /** The adapter's notes (detected log format, ...). */
  notes: string[];
  adapter: string | null;
}

/** The last line of a successful ingest or pull. */
export interface ReportMessage {
  type: 'report';
  report: IngestReport;
  snapshots: SnapshotDetail[];
}

/** The last line of a failed ingest or pull (or a non-2xx answer). */
export interface ErrorMessage {
  type: 'error';
  error: { code: string; message: string; position: InputPosition | null; status?: number };
}

/** Any line of the NDJSON answer. */
export type IngestMessage = ProgressMessage | ReportMessage | ErrorMessage;

// ---- normalizers: tolerate both the contract's and `@opsbook/catalog`'s field names ----

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
const num = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) {
    return v;
  }
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) {
    return Number(v);
  }
  return null;
};
const num0 = (v: unknown): number => num(v) ?? 0;

/** ns since the epoch (number or decimal string) -> ISO; ISO strings pass through. */
function isoOf(v: unknown): string | null {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) {
    return v;
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const ms = Number(BigInt(v) / 1_000_000n);
    return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
  }
  if (typeof v === 'number' && Number.isFinite(v)) {
    return new Date(v / 1e6).toISOString();
  }
  return null;
}

/** `{start, end}` (ISO) or `{min, max}` (ns) -> TimeRange. */
export function normalizeRange(v: unknown): TimeRange | null {
  const r = obj(v);
  const start = isoOf(r.start ?? r.min);
  const end = isoOf(r.end ?? r.max);
  return start && end ? { start, end } : null;
}

/** One dataset of the catalog listing. */
export function normalizeDataset(v: unknown): DatasetSummary {
  const d = obj(v);
  const latest = obj(d.latest);
  const tables = Object.entries(obj(d.tables)).map(([table, t]) => {
    const info = obj(t);
    return {
      table,
      rows: num(info.rows ?? info.rowCount),
      snapshotId: str(info.snapshotId),
      snapshots: Array.isArray(info.snapshotIds) ? info.snapshotIds.length : num(info.snapshots),
      timeRange: normalizeRange(info.timeRange) ?? null
    };
  });
  tables.sort((a, b) => tableRank(a.table) - tableRank(b.table));
  return {
    name: str(d.name) ?? '',
    manifestId: str(d.manifestId ?? d.latestManifestId ?? latest.id),
    updated: str(d.updated ?? latest.createdAt),
    by: str(d.by ?? latest.createdBy),
    tables
  };
}

/** Display order of a table name. */
export function tableRank(table: string): number {
  const i = TABLE_ORDER.indexOf(table);
  return i < 0 ? TABLE_ORDER.length : i;
}

function normalizeQuality(v: unknown): QualityFigures | null {
  if (!v || typeof v !== 'object') {
    return null;
  }
  const q = obj(v);
  const reasons = q.quarantineReasons;
  const quarantineReasons: QuarantineReason[] = Array.isArray(reasons)
    ? reasons.map(r => ({
        code: str(obj(r).code) ?? '?',
        rows: num0(obj(r).rows),
        example: str(obj(r).example) ?? ''
      }))
    : Object.entries(obj(reasons)).map(([code, r]) => ({
        code,
        rows: num0(obj(r).rows),
        example: str(obj(r).example) ?? ''
      }));
  const nullRates: Record<string, number> = {};
  for (const [column, rate] of Object.entries(obj(q.nullRates))) {
    nullRates[column] = num0(rate);
  }
  return {
    rowsIn: num(q.rowsIn),
    duplicatesWithinInput: num0(q.duplicatesWithinInput),
    duplicatesOfEarlierSnapshots: num0(q.duplicatesOfEarlierSnapshots),
    rowsQuarantined: num0(q.rowsQuarantined),
    quarantineReasons,
    outOfOrderRows: num0(q.outOfOrderRows),
    maxLatenessNs: num0(q.maxLatenessNs),
    nullRates,
    spanSkew: (Array.isArray(q.spanSkew) ? q.spanSkew : []).map(s => {
      const o = obj(s);
      return {
        parentService: str(o.parentService),
        childService: str(o.childService),
        pairs: num0(o.pairs),
        violations: num0(o.violations),
        maxSkewNs: num0(o.maxSkewNs),
        p95SkewNs: num0(o.p95SkewNs)
      };
    }),
    observedOffset: (Array.isArray(q.observedOffset) ? q.observedOffset : []).map(s => {
      const o = obj(s);
      return {
        service: str(o.service),
        records: num0(o.records),
        medianOffsetNs: num0(o.medianOffsetNs),
        maxAbsOffsetNs: num0(o.maxAbsOffsetNs)
      };
    })
  };
}

/** One snapshot (`SnapshotInfo` or the contract's shape). */
export function normalizeSnapshot(v: unknown, dataset = ''): SnapshotDetail {
  const s = obj(v);
  const adapter = obj(s.adapter);
  const rawColumns = s.columns ?? obj(s.schema).columns;
  const columns = Array.isArray(rawColumns)
    ? rawColumns.map(c => ({ name: str(obj(c).name) ?? '', type: str(obj(c).type) ?? '' }))
    : [];
  return {
    id: str(s.id) ?? '',
    dataset: str(s.dataset) ?? dataset,
    table: str(s.table) ?? '',
    schemaVersion: num(s.schemaVersion),
    rows: num(s.rows ?? s.rowCount),
    timeRange: normalizeRange(s.timeRange),
    source: str(s.source) ?? '',
    adapter: adapter.name
      ? { name: str(adapter.name) ?? '', version: str(adapter.version) ?? '' }
      : null,
    parents: Array.isArray(s.parents) ? s.parents.map(p => String(p)) : [],
    quality: normalizeQuality(s.quality),
    user: str(s.user ?? s.by ?? s.ingestedBy),
    created: str(s.created ?? s.at ?? s.ingestedAt),
    columns,
    bytes: num(s.bytes),
    ancestors: []
  };
}

/** `GET /api/opsbook/catalog/<dataset>`. */
export function normalizeDetail(v: unknown, dataset: string): DatasetDetail {
  const d = obj(v);
  const name = str(d.dataset) ?? str(obj(d.dataset).name) ?? dataset;
  const snapshots = (Array.isArray(d.snapshots) ? d.snapshots : []).map(s =>
    normalizeSnapshot(s, name)
  );
  // `lineage`: one `{snapshotId, ancestors: [{id, depth, table, dataset}]}` per snapshot.
  for (const entry of Array.isArray(d.lineage) ? d.lineage : []) {
    const e = obj(entry);
    const snapshot = snapshots.find(s => s.id === str(e.snapshotId));
    if (snapshot && Array.isArray(e.ancestors)) {
      snapshot.ancestors = e.ancestors.map(a => {
        const o = obj(a);
        return {
          id: str(o.id) ?? '',
          depth: num0(o.depth),
          table: str(o.table) ?? '',
          dataset: str(o.dataset) ?? name
        };
      });
    }
  }
  return { dataset: name, snapshots };
}

/** Groups the adapter's quarantined samples by code (rows and the first message with place). */
function groupQuarantine(adapter: Json): QuarantineReason[] {
  const groups = new Map<string, QuarantineReason>();
  for (const item of Array.isArray(adapter.quarantined) ? adapter.quarantined : []) {
    const q = obj(item);
    const code = str(q.code) ?? '?';
    const group = groups.get(code);
    if (group) {
      group.rows += num(q.rows) ?? 1;
    } else {
      const where = positionText(normalizePosition(q.position));
      groups.set(code, {
        code,
        rows: num(q.rows) ?? 1,
        example: `${str(q.reason) ?? ''}${where ? ` (${where})` : ''}`
      });
    }
  }
  return [...groups.values()].sort((a, b) => b.rows - a.rows);
}

function normalizePosition(v: unknown): InputPosition | null {
  if (!v || typeof v !== 'object') {
    return null;
  }
  const p = obj(v);
  const position: InputPosition = {};
  if (num(p.line) !== null) {
    position.line = num(p.line)!;
  }
  if (num(p.byteOffset ?? p.byte) !== null) {
    position.byteOffset = num(p.byteOffset ?? p.byte)!;
  }
  if (str(p.record)) {
    position.record = str(p.record)!;
  }
  return Object.keys(position).length ? position : null;
}

/** "line 3, byte 120, record resourceSpans[0]" for a position; '' when unknown. */
export function positionText(p: InputPosition | null): string {
  if (!p) {
    return '';
  }
  const parts: string[] = [];
  if (p.line !== undefined) {
    parts.push(`line ${p.line}`);
  }
  if (p.byteOffset !== undefined) {
    parts.push(`byte ${p.byteOffset}`);
  }
  if (p.record) {
    parts.push(`record ${p.record}`);
  }
  return parts.join(', ');
}

/** One line of the NDJSON answer; null for lines of an unknown type. */
export function normalizeMessage(v: unknown): IngestMessage | null {
  const m = obj(v);
  if (m.type === 'progress') {
    return { type: 'progress', bytesRead: num0(m.bytesRead), rowsRead: num0(m.rowsRead) };
  }
  if (m.type === 'error') {
    const e = obj(m.error);
    return {
      type: 'error',
      error: {
        code: str(e.code) ?? 'error',
        message: str(e.message) ?? 'The server reported an error without a message.',
        position: normalizePosition(e.position)
      }
    };
  }
  if (m.type === 'report') {
    const r = obj(m.report);
    const adapter = obj(r.adapter);
    const tables: Record<string, TableReport> = {};
    for (const [table, t] of Object.entries(obj(r.tables))) {
      const o = obj(t);
      tables[table] = {
        rowsIn: num0(o.rowsIn),
        duplicatesDropped: num0(o.duplicatesDropped),
        rowsStored: num0(o.rowsStored),
        snapshotId: str(o.snapshotId)
      };
    }
    const report: IngestReport = {
      dataset: str(r.dataset) ?? '',
      rowsRead: num0(r.rowsIn ?? r.rowsRead),
      rowsStored: num0(r.rowsStored),
      duplicatesDropped: num0(r.duplicatesDropped),
      rowsQuarantined: num0(r.rowsQuarantined),
      unchanged: r.unchanged === true || num0(r.rowsStored) === 0,
      tables,
      quarantine: Array.isArray(r.quarantine)
        ? r.quarantine.map(q => ({
            code: str(obj(q).code) ?? '?',
            rows: num0(obj(q).rows),
            example: str(obj(q).example) ?? ''
          }))
        : groupQuarantine(adapter),
      notes: (Array.isArray(r.notes)
        ? r.notes
        : Array.isArray(adapter.notes)
          ? adapter.notes
          : []
      ).map(n => String(n)),
      adapter: str(r.adapter) ?? str(adapter.adapter)
    };
    const snapshots = (Array.isArray(m.snapshots) ? m.snapshots : []).map(s =>
      normalizeSnapshot(s, report.dataset)
    );
    return { type: 'report', report, snapshots };
  }
  return null;
}
