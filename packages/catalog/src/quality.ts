/**
 * Data-quality figures of a snapshot, computed by DuckDB over the deduplicated staging rows (the
 * rows that will be stored), plus the arrival-order figures tracked while rows stream in.
 *
 * - Null rate per column: null cells / stored rows.
 * - Out-of-order rows: rows whose time is earlier than the maximum time of the rows that arrived
 *   before them (in input order, across batches, before deduplication); max lateness is the
 *   largest such gap. 1,2,10,3,4 has 2 out-of-order rows and a max lateness of 8.
 * - Span clock skew (spans): for every child span whose parent span is in the same snapshot and
 *   belongs to ANOTHER service, skew = max(parent.start - child.start, child.end - parent.end, 0):
 *   by how much the child sticks out of its parent, which on one clock cannot happen (a callee
 *   runs inside its caller). Per (parent service, child service): pairs, violations (skew > 0),
 *   max and p95 (nearest rank, over all pairs) skew in ns. Same-service pairs share a clock and
 *   are left out; a skew there is an instrumentation bug, not skew.
 * - Observed offset (logs): per service, median and max |observed_time - time| over records with
 *   both (an adapter that fills a missing time from observed_time contributes 0 offsets).
 */
import { DuckDBConnection } from '@duckdb/node-api';
import { TableName, TABLES } from '@opsbook/telemetry-schema';
import { ObservedOffset, SpanSkew } from './model';
import { q, queryRows } from './staging';

/** Tracks out-of-order arrivals of one table's time column as rows stream in. */
export class ArrivalOrder {
  /** Rows seen. */
  rows = 0;
  /** Rows earlier than a row that arrived before them. */
  outOfOrderRows = 0;
  /** Largest lateness in ns. */
  maxLatenessNs = 0n;
  private maxSoFar: bigint | undefined;

  /** Records the time of the next row to arrive. */
  add(time: bigint): void {
    this.rows++;
    if (this.maxSoFar === undefined || time >= this.maxSoFar) {
      this.maxSoFar = time;
      return;
    }
    this.outOfOrderRows++;
    const lateness = this.maxSoFar - time;
    if (lateness > this.maxLatenessNs) {
      this.maxLatenessNs = lateness;
    }
  }
}

/** Null rate of every canonical column of `relation`, and its row count. */
export async function nullRates(
  connection: DuckDBConnection,
  table: TableName,
  relation: string
): Promise<{ rows: number; nullRates: Record<string, number> }> {
  const columns = TABLES[table].columns;
  const counts = columns.map((c, i) => `count(${q(c.name)}) AS c${i}`).join(', ');
  const [row] = await queryRows(connection, `SELECT count(*) AS n, ${counts} FROM ${relation}`);
  const rows = Number(row.n);
  const rates: Record<string, number> = {};
  columns.forEach((c, i) => {
    rates[c.name] = rows === 0 ? 0 : (rows - Number(row[`c${i}`])) / rows;
  });
  return { rows, nullRates: rates };
}

/** Cross-service parent/child containment skew of the spans in `relation`. */
export async function spanSkew(
  connection: DuckDBConnection,
  relation: string
): Promise<SpanSkew[]> {
  const rows = await queryRows(
    connection,
    `WITH pairs AS (
       SELECT p.service_name AS parent_service, c.service_name AS child_service,
         greatest(
           epoch_ns(p.start_time) - epoch_ns(c.start_time),
           coalesce(epoch_ns(c.end_time) - epoch_ns(p.end_time), 0),
           0) AS skew
       FROM ${relation} c JOIN ${relation} p
         ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id
       WHERE c.service_name IS DISTINCT FROM p.service_name)
     SELECT parent_service, child_service, count(*) AS pairs,
       count(*) FILTER (WHERE skew > 0) AS violations, max(skew) AS max_skew,
       quantile_disc(skew, 0.95) AS p95_skew
     FROM pairs GROUP BY ALL ORDER BY parent_service NULLS FIRST, child_service NULLS FIRST`
  );
  return rows.map(r => ({
    parentService: (r.parent_service as string | null) ?? null,
    childService: (r.child_service as string | null) ?? null,
    pairs: Number(r.pairs),
    violations: Number(r.violations),
    maxSkewNs: Number(r.max_skew),
    p95SkewNs: Number(r.p95_skew)
  }));
}

/** Per service, the offset of log `time` against `observed_time` in `relation`. */
export async function observedOffset(
  connection: DuckDBConnection,
  relation: string
): Promise<ObservedOffset[]> {
  const rows = await queryRows(
    connection,
    `WITH o AS (
       SELECT service_name, epoch_ns(observed_time) - epoch_ns(time) AS offset_ns
       FROM ${relation} WHERE observed_time IS NOT NULL)
     SELECT service_name, count(*) AS records, median(offset_ns) AS median_offset,
       max(abs(offset_ns)) AS max_abs_offset
     FROM o GROUP BY ALL ORDER BY service_name NULLS FIRST`
  );
  return rows.map(r => ({
    service: (r.service_name as string | null) ?? null,
    records: Number(r.records),
    medianOffsetNs: Number(r.median_offset),
    maxAbsOffsetNs: Number(r.max_abs_offset)
  }));
}
