/**
 * Run summaries: the compact form of a run kept in a cell's metadata. Arrow-free (types only from
 * run-record.ts), so the server's main thread can build and check summaries (see
 * packages/server/src/provenance/run-metadata-guard.ts).
 */
import type { RunRecord } from './run-record';

/** How many run summaries a cell keeps in its metadata by default. */
export const DEFAULT_SUMMARY_RUNS = 10;

/**
 * The compact form of a run kept in the cell's metadata (`metadata.opsbook.runs`, newest last):
 * enough to show a history and to find the full record in the run log. Flat strings and numbers
 * only, so its JSON Schema is simple and notebooks stay small.
 */
export interface RunSummary {
  /** The run id (key into the run log). */
  runId: string;
  cellVersion: string;
  /** The result hash. */
  hash: string;
  rows: number;
  /** Snapshot ids read (null ids left out), sorted. */
  inputs: string[];
  /** Who ran it, when stamped. */
  user?: string;
  /** When it finished (ISO-8601 UTC), when stamped. */
  finishedAt?: string;
}

/** The summary of a record. */
export function summarizeRun(record: RunRecord): RunSummary {
  const summary: RunSummary = {
    runId: record.runId,
    cellVersion: record.cellVersion,
    hash: record.result.hash,
    rows: record.result.rowCount,
    inputs: record.inputs
      .map(i => i.snapshotId)
      .filter((id): id is string => typeof id === 'string')
      .sort()
  };
  if (record.stamp) {
    summary.user = record.stamp.user;
    summary.finishedAt = record.stamp.finishedAt;
  }
  return summary;
}

/**
 * The new `runs` list of a cell's metadata: the existing list (malformed entries dropped) plus
 * `summary`, keeping the newest `limit`. A summary with the same run id replaces the old one.
 */
export function appendRunSummary(
  existing: unknown,
  summary: RunSummary,
  limit = DEFAULT_SUMMARY_RUNS
): RunSummary[] {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`appendRunSummary: limit must be a positive integer, got ${limit}.`);
  }
  const valid = (Array.isArray(existing) ? existing : []).filter(
    (s): s is RunSummary =>
      !!s &&
      typeof s === 'object' &&
      typeof (s as RunSummary).runId === 'string' &&
      typeof (s as RunSummary).hash === 'string' &&
      (s as RunSummary).runId !== summary.runId
  );
  return [...valid, summary].slice(-limit);
}
