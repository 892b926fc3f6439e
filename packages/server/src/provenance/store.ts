/**
 * The server's provenance store: the directory `openProvenanceStore` of @opsbook/provenance
 * opens (`provenance.sqlite` with the `run_log` and `audit_log` hash chains, `instance-key.pem`),
 * opened here from that package's apache-arrow-free modules (keys, hash-chain, audit-log).
 *
 * Why not `openProvenanceStore` itself: its `RunLog` imports run-record.ts for `isIsoUtc`, and
 * run-record.ts imports the Arrow result hasher, so opening it would load apache-arrow into the
 * main thread on the first run record, where it slows yjs ~75x for the rest of the process (see
 * datasets/routes.ts). `ServerRunLog` is therefore a `HashChain` with exactly `RunLog`'s table,
 * unique key and query columns; test/provenance-store.spec.ts checks that the library's `RunLog`
 * and `openProvenanceStore` read and verify what the server writes, so the two cannot drift
 * apart unnoticed. When run-log.ts stops importing run-record.ts, use `RunLog` here.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { AuditLog } from '@opsbook/provenance/lib/audit-log';
import type { ChainAnchor, ChainEntry, VerifyReport } from '@opsbook/provenance/lib/chain';
import { HashChain, type ChainExport } from '@opsbook/provenance/lib/hash-chain';
import { KEY_FILE, loadOrCreateInstanceKey, type InstanceKey } from '@opsbook/provenance/lib/keys';
import type { RunRecord, RunStamp, StampedRunRecord } from '@opsbook/provenance/lib/run-record';

import { Errors, OpsbookError } from '../errors';

/** `STORE_FILE` of @opsbook/provenance (store.ts, which loads apache-arrow): the SQLite file. */
export const PROVENANCE_DB_FILE = 'provenance.sqlite';

/** `RUN_RECORD_FORMAT` of @opsbook/provenance (run-record.ts, which loads apache-arrow). */
export const RUN_FORMAT = 'opsbook.run.v1';

/** A run as the log holds it: its place in the chain, the entry's signature and the record. */
export interface StoredRun {
  seq: number;
  /** The chain entry's hash (not the result hash: that is `record.result.hash`). */
  hash: string;
  /** Base64 Ed25519 signature of the entry hash by the instance key. */
  signature: string;
  record: StampedRunRecord;
}

/** Filters of `ServerRunLog.find`; all optional, combined with AND. */
export interface RunFilter {
  notebook?: string;
  cellId?: string;
  user?: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const toStored = (e: ChainEntry): StoredRun => ({
  seq: e.seq,
  hash: e.hash,
  signature: e.signature,
  record: JSON.parse(e.payload) as StampedRunRecord
});

/** The `run_log` chain, as `RunLog` of @opsbook/provenance defines it (see the module comment). */
export class ServerRunLog {
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

  /** Appends a stamped record; a 409 when its run id is already logged. */
  append(record: StampedRunRecord): StoredRun {
    try {
      return toStored(this.chain.append(record as unknown as Record<string, unknown>));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new OpsbookError(Errors.runDuplicate(record.runId));
      }
      throw error;
    }
  }

  /** The run with this id, or null. */
  get(runId: string): StoredRun | null {
    const [entry] = this.chain.find({ run_id: runId }, undefined, 1);
    return entry ? toStored(entry) : null;
  }

  /** Runs matching the filters, oldest first. */
  find(filter: RunFilter, limit?: number): StoredRun[] {
    return this.chain
      .find(
        { notebook: filter.notebook, cell_id: filter.cellId, user: filter.user },
        undefined,
        limit
      )
      .map(toStored);
  }

  verify(options: { anchor?: ChainAnchor | null } = {}): VerifyReport {
    return this.chain.verify(options);
  }

  export(fromSeq?: number, toSeq?: number): ChainExport {
    return this.chain.export(fromSeq, toSeq);
  }
}

/** An open provenance store (the shape of @opsbook/provenance's `ProvenanceStore`). */
export interface ServerProvenanceStore {
  readonly dir: string;
  readonly key: InstanceKey;
  readonly runs: ServerRunLog;
  readonly audit: AuditLog;
  /** Runs `fn` in one IMMEDIATE transaction: a run and its audit entry are stored together. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** Opens (creating on first use) the provenance store in `dir`, like `openProvenanceStore`. */
export function openServerProvenanceStore(dir: string): ServerProvenanceStore {
  const key = loadOrCreateInstanceKey(dir);
  const db = new Database(path.join(dir, PROVENANCE_DB_FILE));
  // As openProvenanceStore: WAL so verifiers never block appends; FULL so an entry the server
  // acknowledged survives a power cut.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return {
    dir,
    key,
    runs: new ServerRunLog(db, key),
    audit: new AuditLog(db, key),
    transaction: fn => db.transaction(fn).immediate(),
    close: () => db.close()
  };
}

/**
 * Opens an EXISTING store (CLI verifiers and exports): a missing database or key is an error
 * rather than a new empty store, since a fresh key would make every old entry fail to verify.
 */
export function openExistingProvenanceStore(dir: string): ServerProvenanceStore {
  if (
    !fs.existsSync(path.join(dir, PROVENANCE_DB_FILE)) ||
    !fs.existsSync(path.join(dir, KEY_FILE))
  ) {
    throw new OpsbookError(Errors.provenanceStoreMissing(dir));
  }
  return openServerProvenanceStore(dir);
}

/** `stampRunRecord` of @opsbook/provenance for an already validated record and stamp. */
export function stampRecord(record: RunRecord, stamp: RunStamp): StampedRunRecord {
  return { ...record, stamp: { ...stamp } };
}
