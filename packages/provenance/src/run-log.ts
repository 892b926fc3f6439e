/**
 * The run log (Node only): every stamped run record, in a hash chain (`run_log` table), with
 * query columns for the run id, cell id, notebook path and user.
 *
 * This module must not load apache-arrow (the server opens it in its main thread, where Arrow's
 * `Symbol.isConcatSpreadable` would slow yjs for the whole process): it imports only types from
 * run-record.ts.
 */
import type Database from 'better-sqlite3';
import { HashChain, type ChainExport } from './hash-chain';
import type { ChainAnchor, ChainEntry, VerifyReport } from './chain';
import type { InstanceKey } from './keys';
import type { StampedRunRecord } from './run-record';
import { isIsoUtc } from './record-format';

/** A run record with its place in the log. */
export interface LoggedRun {
  seq: number;
  /** The chain entry's hash (not the result hash: that is `record.result.hash`). */
  hash: string;
  /** Base64 Ed25519 signature of the entry hash by the instance key. */
  signature: string;
  record: StampedRunRecord;
}

/** Filters of `RunLog.find`; all optional, combined with AND. */
export interface RunFilter {
  notebook?: string;
  cellId?: string;
  user?: string;
}

/** Thrown by `RunLog.append` when the run id is already logged (`code` says so). */
export class RunAlreadyLoggedError extends Error {
  readonly code = 'RUN_ALREADY_LOGGED';

  constructor(readonly runId: string) {
    super(`RunLog.append: run ${runId} is already in the log.`);
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

const toLogged = (e: ChainEntry): LoggedRun => ({
  seq: e.seq,
  hash: e.hash,
  signature: e.signature,
  record: JSON.parse(e.payload) as StampedRunRecord
});

/** The hash-chained log of runs. */
export class RunLog {
  readonly chain: HashChain;

  constructor(db: Database.Database, key: InstanceKey) {
    this.chain = new HashChain({
      db,
      table: 'run_log',
      key,
      unique: ['run_id'],
      indexes: {
        run_id: p => str(p['runId']),
        cell_id: p => str(p['cellId']),
        notebook: p => str((p['notebook'] as { path?: unknown } | null)?.path),
        user: p => str((p['stamp'] as { user?: unknown } | null)?.user)
      }
    });
  }

  /** Appends a stamped record; throws if it is not stamped or its run id is already logged. */
  append(record: StampedRunRecord): LoggedRun {
    if (
      !record?.stamp ||
      typeof record.stamp.user !== 'string' ||
      !isIsoUtc(record.stamp.finishedAt)
    ) {
      throw new TypeError(
        'RunLog.append: the record must be stamped by the server first (stampRunRecord).'
      );
    }
    if (typeof record.runId !== 'string' || record.runId === '') {
      throw new TypeError('RunLog.append: record.runId must be a non-empty string.');
    }
    try {
      return toLogged(this.chain.append(record as unknown as Record<string, unknown>));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new RunAlreadyLoggedError(record.runId);
      }
      throw error;
    }
  }

  /** The logged run with this id, or null. */
  get(runId: string): LoggedRun | null {
    const [entry] = this.chain.find({ run_id: runId }, undefined, 1);
    return entry ? toLogged(entry) : null;
  }

  /** Runs of a cell (optionally of one notebook), oldest first. */
  byCell(cellId: string, notebook?: string, limit?: number): LoggedRun[] {
    return this.find({ cellId, notebook }, limit);
  }

  /** Runs matching the filters, oldest first. */
  find(filter: RunFilter, limit?: number): LoggedRun[] {
    return this.chain
      .find(
        { notebook: filter.notebook, cell_id: filter.cellId, user: filter.user },
        undefined,
        limit
      )
      .map(toLogged);
  }

  verify(options: { anchor?: ChainAnchor | null } = {}): VerifyReport {
    return this.chain.verify(options);
  }

  export(fromSeq?: number, toSeq?: number): ChainExport {
    return this.chain.export(fromSeq, toSeq);
  }
}
