/**
 * The cell history log (Node only): every recorded version of every cell (`CellVersionRecord`,
 * format `opsbook.cell-version.v1`, see cell-history.ts) in a hash chain, table `cell_versions`,
 * with query columns `notebook` (the path) and `cell_id`. Entries are only ever appended: a
 * restore is a new version (`kind: "restore"`, `restoredFrom`), so no version is ever lost.
 *
 * Like run-log.ts, this module must not load apache-arrow (the server opens it in its main
 * thread): cell-history.ts is Arrow-free.
 */
import type Database from 'better-sqlite3';
import { HashChain, type ChainExport } from './hash-chain';
import type { ChainAnchor, ChainEntry, VerifyReport } from './chain';
import type { InstanceKey } from './keys';
import {
  CELL_VERSION_FORMAT,
  CELL_VERSION_KINDS,
  type CellVersionRecord,
  type LoggedCellVersion
} from './cell-history';
import { isIsoUtc } from './record-format';
import { canonicalJson } from './canonical-json';

export type { LoggedCellVersion };

const HEX64 = /^[0-9a-f]{64}$/;

const str = (v: unknown) => (typeof v === 'string' ? v : null);

const toLogged = (e: ChainEntry): LoggedCellVersion => ({
  seq: e.seq,
  hash: e.hash,
  record: JSON.parse(e.payload) as CellVersionRecord
});

/** The hash-chained log of cell versions (see the module comment). */
export class CellHistoryLog {
  readonly chain: HashChain;
  private readonly _latest: Database.Statement;

  constructor(db: Database.Database, key: InstanceKey) {
    this.chain = new HashChain({
      db,
      table: 'cell_versions',
      key,
      indexes: {
        notebook: p => str((p['notebook'] as { path?: unknown } | null)?.path),
        cell_id: p => str(p['cellId'])
      }
    });
    this._latest = db
      .prepare(
        'SELECT seq FROM cell_versions WHERE notebook = ? AND cell_id = ? AND seq <= ? ' +
          'ORDER BY seq DESC LIMIT 1'
      )
      .pluck();
  }

  /** Appends a version; throws naming the field when the record is malformed. */
  record(record: CellVersionRecord): LoggedCellVersion {
    checkRecord(record);
    const payload: Record<string, unknown> = {
      format: CELL_VERSION_FORMAT,
      notebook: { path: record.notebook.path, fileId: record.notebook.fileId ?? null },
      cellId: record.cellId,
      version: record.version,
      source: record.source,
      opsbook: record.opsbook,
      kind: record.kind,
      authors: [...new Set(record.authors)].sort(),
      time: record.time,
      ...(record.runId !== undefined ? { runId: record.runId } : {}),
      ...(record.restoredFrom !== undefined ? { restoredFrom: record.restoredFrom } : {})
    };
    return toLogged(this.chain.append(payload));
  }

  /** Versions of a notebook (and optionally one cell), oldest first. */
  find(filter: { notebook: string; cellId?: string }, limit?: number): LoggedCellVersion[] {
    return this.chain
      .find({ notebook: filter.notebook, cell_id: filter.cellId }, undefined, limit)
      .map(toLogged);
  }

  /**
   * The newest version of a cell, or null when it has none; with `atMostSeq`, the newest one
   * recorded up to that seq (the server's per-path history before a rename, notebook-paths.ts).
   */
  latest(
    notebook: string,
    cellId: string,
    atMostSeq = Number.MAX_SAFE_INTEGER
  ): LoggedCellVersion | null {
    const seq = this._latest.get(notebook, cellId, atMostSeq) as number | undefined;
    return seq === undefined ? null : this.get(seq);
  }

  /** The version with this seq, or null. */
  get(seq: number): LoggedCellVersion | null {
    const entry = Number.isSafeInteger(seq) ? this.chain.get(seq) : null;
    return entry ? toLogged(entry) : null;
  }

  verify(options: { anchor?: ChainAnchor | null } = {}): VerifyReport {
    return this.chain.verify(options);
  }

  export(fromSeq?: number, toSeq?: number): ChainExport {
    return this.chain.export(fromSeq, toSeq);
  }
}

function checkRecord(r: CellVersionRecord): void {
  const fail = (field: string, expected: string): never => {
    throw new TypeError(`CellHistoryLog.record: ${field} must be ${expected}.`);
  };
  if (!r || typeof r !== 'object') fail('the record', 'an object');
  if (typeof r.notebook?.path !== 'string' || r.notebook.path === '') {
    fail('notebook.path', 'a non-empty string');
  }
  if (typeof r.cellId !== 'string' || r.cellId === '') fail('cellId', 'a non-empty string');
  if (typeof r.version !== 'string' || !HEX64.test(r.version)) {
    fail('version', '64 lower-case hex digits (the cell version hash)');
  }
  if (typeof r.source !== 'string') fail('source', 'a string');
  if (!r.opsbook || typeof r.opsbook !== 'object' || Array.isArray(r.opsbook)) {
    fail('opsbook', 'an object');
  }
  canonicalJson(r.opsbook);
  if (!CELL_VERSION_KINDS.includes(r.kind)) fail('kind', CELL_VERSION_KINDS.join(', '));
  if (!Array.isArray(r.authors) || r.authors.some(a => typeof a !== 'string' || a === '')) {
    fail('authors', 'an array of user names');
  }
  if (!isIsoUtc(r.time)) fail('time', 'ISO-8601 UTC');
  if (r.runId !== undefined && (typeof r.runId !== 'string' || r.runId === '')) {
    fail('runId', 'a non-empty string when present');
  }
  if (
    r.restoredFrom !== undefined &&
    (!Number.isSafeInteger(r.restoredFrom) || r.restoredFrom < 1)
  ) {
    fail('restoredFrom', 'the seq (a positive integer) of the version restored');
  }
}
