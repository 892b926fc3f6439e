/**
 * The server's provenance store: @opsbook/provenance's store (`provenance.sqlite` with the
 * `run_log` and `audit_log` hash chains, `instance-key.pem`), opened from that package's
 * apache-arrow-free modules only. apache-arrow must stay out of the server's main thread: it sets
 * `Symbol.isConcatSpreadable`, which slows yjs ~75x for the rest of the process (see
 * datasets/routes.ts); test/provenance-store.spec.ts checks that recording runs never loads it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { KEY_FILE } from '@opsbook/provenance/lib/keys';
import { RUN_RECORD_FORMAT } from '@opsbook/provenance/lib/record-format';
import type { RunRecord, RunStamp, StampedRunRecord } from '@opsbook/provenance/lib/run-record';
import {
  RunAlreadyLoggedError,
  type LoggedRun,
  type RunFilter
} from '@opsbook/provenance/lib/run-log';
import {
  openProvenanceStore,
  STORE_FILE,
  type ProvenanceStore
} from '@opsbook/provenance/lib/store';

import { Errors, OpsbookError } from '../errors';

export { RunAlreadyLoggedError, type RunFilter };

/** The SQLite file of the store. */
export const PROVENANCE_DB_FILE = STORE_FILE;

/** The format tag of run records. */
export const RUN_FORMAT = RUN_RECORD_FORMAT;

/** A run as the log holds it: its place in the chain, the entry's signature and the record. */
export type StoredRun = LoggedRun;

/** An open provenance store. */
export type ServerProvenanceStore = ProvenanceStore;

/** Opens (creating on first use) the provenance store in `dir`. */
export function openServerProvenanceStore(dir: string): ServerProvenanceStore {
  return openProvenanceStore(dir);
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
  return openProvenanceStore(dir);
}

/** Appends a stamped run; a 409 `OpsbookError` when its run id is already logged. */
export function appendRun(store: ServerProvenanceStore, record: StampedRunRecord): StoredRun {
  try {
    return store.runs.append(record);
  } catch (error) {
    if (error instanceof RunAlreadyLoggedError) {
      throw new OpsbookError(Errors.runDuplicate(record.runId));
    }
    throw error;
  }
}

/** `stampRunRecord` of @opsbook/provenance for an already validated record and stamp. */
export function stampRecord(record: RunRecord, stamp: RunStamp): StampedRunRecord {
  return { ...record, stamp: { ...stamp } };
}
