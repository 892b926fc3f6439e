/**
 * Replaying a recorded run in the browser: the recorded SQL on the snapshots the run read
 * (`queryPinned`), the full result hashed as the recording was, the outcome sent to the server
 * (which decides `reproduced` by comparing hashes), and, when the hashes differ, a small diff of
 * the first rows and the likely causes (`classifyNondeterminism`).
 */
import {
  classifyNondeterminism,
  hashArrowTable,
  type NondeterminismCause,
  type StampedRunRecord
} from '@opsbook/provenance';
import { queryPinned, type HttpSourceOptions, type QueryEngine } from '@opsbook/query-engine';
import { toResultTable, type ResultTable } from '@opsbook/telemetry-cell';
import type { ReplaySubmission, ReplayView } from './api';
import { diffResults, DIFF_ROWS, type ResultDiff } from './result-diff';

/** What `replayRun` needs. */
export interface ReplayOptions {
  /** An engine for replays only (its datasets are replaced). */
  engine: QueryEngine;
  http: HttpSourceOptions;
  /** Posts the outcome (`RunLogClient.recordReplay`). */
  recordReplay(runId: string, replay: ReplaySubmission): Promise<ReplayView>;
  /** The recorded run's first rows, when known (for the diff). */
  recorded: ResultTable | null;
}

/** The outcome of a replay. */
export interface ReplayOutcome {
  /** As the server decided it. */
  view: ReplayView;
  /** Present when the replay diverged. */
  diff: ResultDiff | null;
  causes: NondeterminismCause[];
}

/** Replays `record` (see the module comment). */
export async function replayRun(
  record: StampedRunRecord,
  options: ReplayOptions
): Promise<ReplayOutcome> {
  const pins: Record<string, string> = {};
  for (const input of record.inputs) {
    if (input.snapshotId) {
      pins[input.table] = input.snapshotId;
    }
  }
  const started = performance.now();
  const { result, hash: digest } = await queryPinned(record.sql, {
    engine: options.engine,
    http: options.http,
    pins,
    hash: table => hashArrowTable(table)
  });
  const durationMs = Math.round(performance.now() - started);
  let diff: ResultDiff | null = null;
  let causes: NondeterminismCause[] = [];
  if (digest.hash !== record.result.hash) {
    diff = diffResults(
      options.recorded,
      record.result.rowCount,
      toResultTable(result.table, DIFF_ROWS)
    );
    try {
      causes = (
        await classifyNondeterminism({
          engine: options.engine,
          sql: record.sql,
          hashes: [record.result.hash, digest.hash],
          result: result.table
        })
      ).causes;
    } catch (error) {
      console.warn('Opsbook: could not classify the divergence.', error);
    }
  }
  const view = await options.recordReplay(record.runId, {
    hash: digest.hash,
    rows: digest.rowCount,
    durationMs,
    diverged: diff
      ? {
          recordedRows: diff.recordedRows,
          replayedRows: diff.replayedRows,
          compared: diff.compared,
          added: diff.added.length,
          removed: diff.removed.length,
          causes: causes.map(c => ({ kind: c.kind, confidence: c.confidence, message: c.message }))
        }
      : null
  });
  return { view, diff, causes };
}
