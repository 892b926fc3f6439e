/**
 * Dedupe over record batches by idempotence key (see `@opsbook/telemetry-schema` keys): spans by
 * (trace_id, span_id), logs by content hash, metric points by (series, time), events by
 * (type, source, id, time). A snapshot writer passes every batch through one `Deduplicator` per
 * table; the second ingest of the same input then adds nothing. Memory grows with the number of
 * distinct keys (a key is at most ~130 bytes).
 */
import { RecordBatch } from 'apache-arrow';
import {
  idempotenceKey,
  recordBatchRows,
  rowsToRecordBatch,
  TableName
} from '@opsbook/telemetry-schema';

/** Drops rows whose idempotence key was already seen, and counts them. */
export class Deduplicator {
  /** The canonical table this deduplicator handles. */
  readonly table: TableName;
  /** Rows dropped as duplicates so far. */
  duplicatesDropped = 0;
  /** Rows passed through so far. */
  rowsKept = 0;
  private readonly seen = new Set<string>();

  constructor(table: TableName, knownKeys: Iterable<string> = []) {
    this.table = table;
    for (const key of knownKeys) {
      this.seen.add(key);
    }
  }

  /** The keys seen so far (to persist with a snapshot). */
  keys(): IterableIterator<string> {
    return this.seen.values();
  }

  /** Returns `batch` without rows seen before (in earlier batches or earlier in this one). */
  filter(batch: RecordBatch): RecordBatch {
    const rows = recordBatchRows(this.table, batch);
    const kept = rows.filter(row => {
      const key = idempotenceKey(this.table, row);
      if (this.seen.has(key)) {
        return false;
      }
      this.seen.add(key);
      return true;
    });
    this.duplicatesDropped += rows.length - kept.length;
    this.rowsKept += kept.length;
    return kept.length === rows.length ? batch : rowsToRecordBatch(this.table, kept);
  }
}
