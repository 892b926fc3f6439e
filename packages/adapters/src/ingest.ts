/**
 * The adapter framework. An `Adapter` parses a decoded byte stream and hands each record to the
 * `IngestContext`, which:
 * - enriches rows from the service catalog and checks required columns;
 * - collects rows into Arrow record batches of the canonical schema (`batchRows` at a time);
 * - applies the per-ingest error policy: "reject" fails the ingest with an `IngestError` at the
 *   first bad record (with its line/byte/record position), "quarantine" keeps it aside with its
 *   reason — nothing is ever dropped silently;
 * - keeps the `IngestReport`, whose invariant is rowsRead === rowsStored + rowsQuarantined, and
 *   calls the progress and quarantine callbacks.
 *
 *   input bytes -> [gunzip, capped] -> adapter.run(chunks, ctx) -> ctx.emit/quarantine
 *     -> record batches (yielded by `ingest`) + IngestReport (its return value)
 */
import { RecordBatch, Table } from 'apache-arrow';
import {
  emptyRow,
  missingRequiredColumn,
  Row,
  rowsToRecordBatch,
  TABLE_NAMES,
  TableName
} from '@opsbook/telemetry-schema';
import { ByteInput, gunzip, isGzip, toChunks } from './bytes';
import { ServiceCatalog } from './catalog';
import {
  ErrorCode,
  ErrorDetails,
  IngestError,
  InputPosition,
  messageOf,
  RecordProblem
} from './errors';
import { DEFAULT_LIMITS, IngestLimits } from './limits';

/** What to do with a malformed record: fail the ingest, or quarantine it and go on. */
export type ErrorPolicy = 'reject' | 'quarantine';

/** A record set aside with its reason. */
export interface QuarantinedRecord {
  /** The catalog code. */
  code: ErrorCode;
  /** The human-readable reason. */
  reason: string;
  /** Where it was. */
  position: InputPosition;
  /** Rows of output the record stood for (usually 1). */
  rows: number;
  /** The start of the raw record, if known (at most `maxQuarantineRawBytes`). */
  raw?: string;
}

/** Counts at a point in the ingest. */
export interface IngestProgress {
  /** Bytes read from the input (compressed bytes for gzip). */
  bytesRead: number;
  /** Bytes after decompression. */
  bytesDecoded: number;
  /** Records read (stored + quarantined + pending in the current batch). */
  rowsRead: number;
  /** Rows in batches already emitted. */
  rowsStored: number;
  /** Rows quarantined. */
  rowsQuarantined: number;
}

/** The result of an ingest: counts per table, quarantine samples and warnings. */
export interface IngestReport extends IngestProgress {
  /** The adapter's name. */
  adapter: string;
  /** Rows stored per table. */
  tables: Record<TableName, number>;
  /** Whether the input was gzip. */
  gzip: boolean;
  /** The first `maxQuarantineSamples` quarantined records. */
  quarantined: QuarantinedRecord[];
  /** Non-fatal notes (e.g. the detected log format). */
  notes: string[];
}

/** Options every adapter accepts. */
export interface IngestOptions {
  /** Error policy; default "reject". */
  onError?: ErrorPolicy;
  /** Limit overrides. */
  limits?: Partial<IngestLimits>;
  /** Service catalog used to fill service_team, service_tier and service_repository. */
  catalog?: ServiceCatalog;
  /** Called after each batch and at the end. */
  onProgress?: (progress: IngestProgress) => void;
  /** Called for every quarantined record. */
  onQuarantine?: (record: QuarantinedRecord) => void;
}

/** One output batch of a canonical table. */
export interface TableBatch {
  /** Which canonical table. */
  table: TableName;
  /** The rows, in that table's Arrow schema. */
  batch: RecordBatch;
  /**
   * The row objects the batch was built from, when there are any. A consumer that works on rows
   * (the catalog) reads these instead of decoding `batch` (see `rowsRoundTrip`), and then `batch`
   * is never built.
   */
  rows?: readonly Row<TableName>[];
}

/**
 * A `TableBatch` of row objects whose Arrow `batch` is built on first access. Building Arrow
 * vectors from row objects is a third of an OTLP ingest's CPU time, and the catalog, our main
 * consumer, only needs the rows; consumers that read `batch` (tests, `collect`, dedupe) get the
 * same record batch as before.
 */
class RowsBatch implements TableBatch {
  private built: RecordBatch | undefined;

  constructor(
    readonly table: TableName,
    readonly rows: readonly Row<TableName>[]
  ) {}

  get batch(): RecordBatch {
    return (this.built ??= rowsToRecordBatch(this.table, this.rows));
  }
}

/** A parser from bytes to canonical rows. */
export interface Adapter {
  /** Short name used in reports (`otlp-json`, `prometheus-text`, ...). */
  readonly name: string;
  /**
   * Parses `chunks` (already decompressed), calling `ctx.emit` per row and `ctx.problem` per bad
   * record; it yields now and then so finished batches can flow out while it runs.
   */
  run(chunks: AsyncIterable<Uint8Array>, ctx: IngestContext): AsyncIterable<void>;
}

/** Collects rows into batches and applies the error policy; one per ingest. */
export class IngestContext {
  /** The limits in force. */
  readonly limits: IngestLimits;
  /** The error policy. */
  readonly policy: ErrorPolicy;
  /** The report, updated as the ingest runs. */
  readonly report: IngestReport;
  private readonly options: IngestOptions;
  private readonly pending = new Map<TableName, Row<TableName>[]>();
  private readonly ready: TableBatch[] = [];

  constructor(adapter: string, options: IngestOptions = {}) {
    this.options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.policy = options.onError ?? 'reject';
    this.report = {
      adapter,
      bytesRead: 0,
      bytesDecoded: 0,
      rowsRead: 0,
      rowsStored: 0,
      rowsQuarantined: 0,
      tables: Object.fromEntries(TABLE_NAMES.map(t => [t, 0])) as Record<TableName, number>,
      gzip: false,
      quarantined: [],
      notes: []
    };
  }

  /** A fresh row of `table` with every column present. */
  row<T extends TableName>(table: T): Row<T> {
    return emptyRow(table);
  }

  /** Adds a complete row; quarantines it instead when a required column is missing. */
  emit<T extends TableName>(table: T, row: Row<T>, position: InputPosition, raw?: string): void {
    const missing = missingRequiredColumn(table, row);
    if (missing) {
      this.problem('missing-field', { field: missing }, position, raw);
      return;
    }
    const cells = row as unknown as Record<string, string | null>;
    const entry = cells.service_name ? this.options.catalog?.lookup(cells.service_name) : undefined;
    if (entry) {
      cells.service_team = cells.service_team ?? entry.team ?? null;
      cells.service_tier = cells.service_tier ?? entry.tier ?? null;
      cells.service_repository = cells.service_repository ?? entry.repository ?? null;
    }
    this.report.rowsRead++;
    let rows = this.pending.get(table);
    if (!rows) {
      rows = [];
      this.pending.set(table, rows);
    }
    rows.push(row as Row<TableName>);
    if (rows.length >= this.limits.batchRows) {
      this.flushTable(table);
    }
  }

  /**
   * Handles a malformed record standing for `rows` rows: throws an `IngestError` under "reject",
   * otherwise quarantines it with its reason.
   */
  problem(
    code: ErrorCode,
    details: ErrorDetails,
    position: InputPosition,
    raw?: string,
    rows = 1
  ): void {
    if (this.policy === 'reject') {
      throw new IngestError(code, details, position);
    }
    const record: QuarantinedRecord = {
      code,
      reason: messageOf(code, details),
      position,
      rows,
      raw: raw === undefined ? undefined : raw.slice(0, this.limits.maxQuarantineRawBytes)
    };
    this.report.rowsRead += rows;
    this.report.rowsQuarantined += rows;
    if (this.report.quarantined.length < this.limits.maxQuarantineSamples) {
      this.report.quarantined.push(record);
    }
    this.options.onQuarantine?.(record);
  }

  /** Runs `map` for one record, routing a thrown `RecordProblem` through `problem`. */
  guard(position: InputPosition, raw: string | undefined, map: () => void, rows = 1): void {
    try {
      map();
    } catch (error) {
      if (error instanceof RecordProblem) {
        this.problem(error.code, error.details, position, raw, rows);
      } else {
        throw error;
      }
    }
  }

  /** Records a non-fatal note in the report. */
  note(text: string): void {
    this.report.notes.push(text);
  }

  /** Takes the batches completed so far. */
  take(): TableBatch[] {
    return this.ready.splice(0, this.ready.length);
  }

  /** Completes every partial batch (end of input). */
  flushAll(): void {
    for (const table of [...this.pending.keys()]) {
      this.flushTable(table);
    }
  }

  /** Calls the progress callback. */
  progress(): void {
    this.options.onProgress?.({
      bytesRead: this.report.bytesRead,
      bytesDecoded: this.report.bytesDecoded,
      rowsRead: this.report.rowsRead,
      rowsStored: this.report.rowsStored,
      rowsQuarantined: this.report.rowsQuarantined
    });
  }

  private flushTable(table: TableName): void {
    const rows = this.pending.get(table);
    if (!rows || rows.length === 0) {
      return;
    }
    this.pending.set(table, []);
    this.ready.push(new RowsBatch(table, rows));
    this.report.rowsStored += rows.length;
    this.report.tables[table] += rows.length;
  }
}

async function* counted(
  chunks: AsyncIterable<Uint8Array>,
  count: (n: number) => void
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    count(chunk.length);
    yield chunk;
  }
}

async function* withGzipDetection(
  input: AsyncIterable<Uint8Array>,
  ctx: IngestContext
): AsyncGenerator<Uint8Array> {
  const iterator = input[Symbol.asyncIterator]();
  let first = await iterator.next();
  while (!first.done && first.value.length < 2) {
    const next = await iterator.next();
    if (next.done) {
      break;
    }
    first = { done: false, value: new Uint8Array([...first.value, ...next.value]) };
  }
  if (first.done) {
    return;
  }
  const head = first.value;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => {
      let sentHead = false;
      return {
        next: async () => {
          if (!sentHead) {
            sentHead = true;
            return { done: false, value: head };
          }
          return iterator.next();
        },
        return: async () => {
          await iterator.return?.();
          return { done: true, value: undefined };
        }
      };
    }
  };
  if (isGzip(head)) {
    ctx.report.gzip = true;
    yield* gunzip(rest, ctx.limits.maxDecompressedBytes);
  } else {
    yield* rest;
  }
}

/**
 * Runs `adapter` over `input`, yielding canonical record batches as they fill and returning the
 * `IngestReport`. Throws `IngestError` on a fatal problem or a rejected record.
 */
export async function* ingest(
  adapter: Adapter,
  input: ByteInput,
  options: IngestOptions = {}
): AsyncGenerator<TableBatch, IngestReport, void> {
  const ctx = new IngestContext(adapter.name, options);
  const raw = counted(toChunks(input), n => (ctx.report.bytesRead += n));
  const decoded = counted(withGzipDetection(raw, ctx), n => (ctx.report.bytesDecoded += n));
  for await (const _ of adapter.run(decoded, ctx)) {
    const batches = ctx.take();
    if (batches.length) {
      yield* batches;
      ctx.progress();
    }
  }
  ctx.flushAll();
  yield* ctx.take();
  ctx.progress();
  return ctx.report;
}

/** The whole result of an ingest in memory: one Arrow table per canonical table, and the report. */
export interface IngestResult {
  /** Tables with at least one row. */
  tables: Partial<Record<TableName, Table>>;
  /** The report. */
  report: IngestReport;
}

/** Runs an ingest and gathers its batches into tables (for tests and small inputs). */
export async function collect(
  adapter: Adapter,
  input: ByteInput,
  options: IngestOptions = {}
): Promise<IngestResult> {
  const batches = new Map<TableName, RecordBatch[]>();
  const run = ingest(adapter, input, options);
  for (;;) {
    const next = await run.next();
    if (next.done) {
      const tables: Partial<Record<TableName, Table>> = {};
      for (const [table, list] of batches) {
        tables[table] = new Table(list);
      }
      return { tables, report: next.value };
    }
    const list = batches.get(next.value.table) ?? [];
    list.push(next.value.batch);
    batches.set(next.value.table, list);
  }
}
