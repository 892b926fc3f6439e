/**
 * The provenance store of a server instance (Node only): one directory holding
 * `provenance.sqlite` (the run log and the audit log) and `instance-key.pem` (the signing key).
 */
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { AuditLog } from './audit-log';
import { CellHistoryLog } from './cell-history-log';
import { loadOrCreateInstanceKey, type InstanceKey } from './keys';
import { RunLog } from './run-log';

/** File name of the SQLite database inside the store directory. */
export const STORE_FILE = 'provenance.sqlite';

/** An open provenance store. */
export interface ProvenanceStore {
  readonly dir: string;
  readonly key: InstanceKey;
  readonly runs: RunLog;
  readonly audit: AuditLog;
  /** Every recorded version of every cell (per-cell history). */
  readonly history: CellHistoryLog;
  /** Runs `fn` in one IMMEDIATE transaction (e.g. a run and its audit entry stored together). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** Opens (creating on first use) the provenance store in `dir`. */
export function openProvenanceStore(dir: string): ProvenanceStore {
  const key = loadOrCreateInstanceKey(dir);
  const db = new Database(path.join(dir, STORE_FILE));
  // WAL: readers (verify, queries) never block the server's appends; FULL: an entry the server
  // acknowledged survives a power cut.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return {
    dir,
    key,
    runs: new RunLog(db, key),
    audit: new AuditLog(db, key),
    history: new CellHistoryLog(db, key),
    transaction: fn => db.transaction(fn).immediate(),
    close: () => db.close()
  };
}
