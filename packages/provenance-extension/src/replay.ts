/**
 * Replaying a recorded run in the browser: the recorded SQL on the snapshots the run read
 * (`queryPinned`), the full result hashed as the recording was, the outcome sent to the server
 * (which decides `reproduced` by comparing hashes), and, when the hashes differ, a small diff of
 * the first rows and the likely causes (`classifyNondeterminism`).
 *
 * A run that read earlier runs' named results (inputs of kind 'result', see run-record.ts) needs
 * them first: each parent is replayed on its own pins (recursively, each at most once per
 * `ReplaySession`), and its replayed result is registered under the name the child read, on the
 * same engine, before the child runs. A parent that cannot be replayed makes the child not
 * replayable; a parent that diverged is named in the child's outcome (`parentsDiverged`).
 */
import {
  classifyNondeterminism,
  hashArrowTable,
  type NondeterminismCause,
  type StampedRunRecord
} from '@opsbook/provenance';
import {
  queryPinned,
  QueryError,
  type HttpSourceOptions,
  type QueryEngine
} from '@opsbook/query-engine';
import { toResultTable, type ResultTable } from '@opsbook/telemetry-cell';
import type { Table } from 'apache-arrow';
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
  /** Looks a parent run up in the run log (`RunLogClient.run`); needed for runs with parents. */
  fetchRun?: (runId: string) => Promise<StampedRunRecord>;
  /** Parent replays shared between replays (a notebook replay uses one); a new one when absent. */
  session?: ReplaySession;
}

/** The outcome of a replay. */
export interface ReplayOutcome {
  /** As the server decided it. */
  view: ReplayView;
  /** Present when the replay diverged. */
  diff: ResultDiff | null;
  causes: NondeterminismCause[];
  /** The full replayed result. */
  table: Table;
  /** Parent runs whose own replay diverged (the child then ran on their replayed results). */
  parentsDiverged: string[];
}

/** A run that cannot be replayed, with the reason in words (shown to people as it is). */
export class NotReplayableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotReplayableError';
  }
}

/** The first 8 characters of an id, as the UI shows ids. */
export const shortId = (id: string): string => id.slice(0, 8);

/**
 * Why a replay failed, in words for the report: a snapshot that is gone, an SQL error, a parent,
 * or whatever else went wrong.
 */
export function notReplayableReason(error: unknown): string {
  if (error instanceof QueryError && error.kind === 'sql') {
    return `SQL error: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The replays of one session, by run id, so a parent read by several children (and again listed
 * in a notebook replay) is replayed once. Results are kept only for runs `keep` says are needed
 * later (e.g. the parents of the notebook's runs); others are dropped once their replay is done.
 */
export class ReplaySession {
  private readonly _replays = new Map<string, Promise<ReplayOutcome>>();
  private readonly _records = new Map<string, StampedRunRecord>();

  constructor(private readonly _keep: (runId: string) => boolean = () => true) {}

  /** Makes records known without a fetch (a notebook replay has them all). */
  addRecords(records: StampedRunRecord[]): void {
    for (const record of records) {
      this._records.set(record.runId, record);
    }
  }

  /** A record known to the session, or fetched with `fetchRun`. */
  async record(runId: string, fetchRun?: (runId: string) => Promise<StampedRunRecord>) {
    const known = this._records.get(runId);
    if (known) {
      return known;
    }
    if (!fetchRun) {
      throw new NotReplayableError(`parent run ${shortId(runId)} is not known to this replay.`);
    }
    try {
      const record = await fetchRun(runId);
      this._records.set(runId, record);
      return record;
    } catch (error) {
      throw new NotReplayableError(
        `parent run ${shortId(runId)} could not be read from the run log: ${notReplayableReason(error)}`
      );
    }
  }

  /** The replay of `runId`, started by `start` the first time it is asked for. */
  replay(runId: string, start: () => Promise<ReplayOutcome>): Promise<ReplayOutcome> {
    let replay = this._replays.get(runId);
    if (!replay) {
      replay = start().then(outcome =>
        this._keep(runId) ? outcome : { ...outcome, table: outcome.table.slice(0, 0) }
      );
      this._replays.set(runId, replay);
    }
    return replay;
  }
}

/** Replays `record` (see the module comment). */
export async function replayRun(
  record: StampedRunRecord,
  options: ReplayOptions
): Promise<ReplayOutcome> {
  const session = options.session ?? new ReplaySession();
  return session.replay(record.runId, () => replayWithParents(record, options, session, []));
}

async function replayWithParents(
  record: StampedRunRecord,
  options: ReplayOptions,
  session: ReplaySession,
  ancestors: string[]
): Promise<ReplayOutcome> {
  // Parents first, each on its own pins; their results are then registered under their names.
  const parentTables = new Map<string, Table>();
  const parentsDiverged: string[] = [];
  for (const input of record.inputs) {
    if (input.kind !== 'result') {
      continue;
    }
    if (!input.run) {
      throw new NotReplayableError(
        `it reads ${input.table}, the result of a run that was not recorded (parent unknown).`
      );
    }
    const parentId = input.run;
    if (ancestors.includes(parentId) || parentId === record.runId) {
      throw new NotReplayableError(`parent run ${shortId(parentId)} is its own ancestor.`);
    }
    const parent = await session.record(parentId, options.fetchRun);
    let outcome: ReplayOutcome;
    try {
      outcome = await session.replay(parentId, () =>
        replayWithParents(parent, { ...options, recorded: null }, session, [
          ...ancestors,
          record.runId
        ])
      );
    } catch (error) {
      throw new NotReplayableError(
        `parent run ${shortId(parentId)} not replayable: ${notReplayableReason(error)}`
      );
    }
    if (outcome.table.numRows !== outcome.view.rows) {
      // The session dropped this result (it was not expected to be read again): replay anew.
      outcome = await replayWithParents(parent, { ...options, recorded: null }, session, [
        ...ancestors,
        record.runId
      ]);
    }
    if (!outcome.view.reproduced && !parentsDiverged.includes(parentId)) {
      parentsDiverged.push(parentId);
    }
    parentTables.set(input.table, outcome.table);
  }
  for (const [name, table] of parentTables) {
    await options.engine.registerResult(name, table);
  }
  const pins: Record<string, string> = {};
  for (const input of record.inputs) {
    if (input.kind !== 'result' && input.snapshotId) {
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
          causes: causes.map(c => ({ kind: c.kind, confidence: c.confidence, message: c.message })),
          ...(parentsDiverged.length ? { parentsDiverged } : {})
        }
      : null
  });
  return { view, diff, causes, table: result.table, parentsDiverged };
}
