/**
 * The audit log (Node only): who did what to which notebook, when, in a hash chain (`audit_log`
 * table) with query columns for the action, user, time and notebook. The server stamps the time;
 * entries are never changed, only appended.
 */
import type Database from 'better-sqlite3';
import { HashChain, type ChainExport } from './hash-chain';
import type { ChainAnchor, ChainEntry, VerifyReport } from './chain';
import type { InstanceKey } from './keys';

/**
 * True for a time exactly as `Date.toISOString` writes it (millisecond precision, `Z`): the time
 * column is compared as text, which orders correctly only when every time has the same shape.
 */
function isAuditTime(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    !Number.isNaN(Date.parse(value)) &&
    new Date(value).toISOString() === value
  );
}

/** What was done. */
export type AuditAction =
  | 'open'
  | 'checkpoint'
  | 'run'
  | 'replay'
  | 'ingest'
  | 'template-approval'
  | 'permission-change'
  | 'export'
  | 'restore'
  | 'import'
  | 'rename';

/** Every audit action, for validation and UI filters. */
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'open',
  'checkpoint',
  'run',
  'replay',
  'ingest',
  'template-approval',
  'permission-change',
  'export',
  'restore',
  'import',
  'rename'
];

/** One audit event as the server records it. */
export interface AuditEvent {
  action: AuditAction;
  user: string;
  /** ISO-8601 UTC, stamped by the server. */
  time: string;
  /** The notebook's path, and its file id when the server has one. */
  notebook: { path: string; fileId: string | null } | null;
  rationale: string | null;
  /** Action-specific details (run id, template id, granted role, ...). */
  details: Record<string, unknown>;
}

/** An audit event with its place in the log. */
export interface AuditRecord extends AuditEvent {
  seq: number;
  hash: string;
}

/** Filters of `AuditLog.query`; all optional, combined with AND. */
export interface AuditQuery {
  notebook?: string;
  user?: string;
  action?: AuditAction;
  /** Inclusive bounds on `time` (ISO-8601 UTC). */
  from?: string;
  to?: string;
  limit?: number;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

const toRecord = (e: ChainEntry): AuditRecord => ({
  ...(JSON.parse(e.payload) as AuditEvent),
  seq: e.seq,
  hash: e.hash
});

/** The hash-chained audit log. */
export class AuditLog {
  readonly chain: HashChain;

  constructor(db: Database.Database, key: InstanceKey) {
    this.chain = new HashChain({
      db,
      table: 'audit_log',
      key,
      indexes: {
        action: p => str(p['action']),
        user: p => str(p['user']),
        time: p => str(p['time']),
        notebook: p => str((p['notebook'] as { path?: unknown } | null)?.path)
      }
    });
  }

  /** Records an event; throws with the field name when it is malformed. */
  record(event: {
    action: AuditAction;
    user: string;
    time: string;
    notebook?: { path: string; fileId?: string | null } | null;
    rationale?: string | null;
    details?: Record<string, unknown>;
  }): AuditRecord {
    if (!AUDIT_ACTIONS.includes(event?.action)) {
      throw new TypeError(
        `AuditLog.record: action ${JSON.stringify(event?.action)} is not one of ${AUDIT_ACTIONS.join(', ')}.`
      );
    }
    if (typeof event.user !== 'string' || event.user === '') {
      throw new TypeError('AuditLog.record: user must be the authenticated user name.');
    }
    if (!isAuditTime(event.time)) {
      throw new TypeError(
        'AuditLog.record: time must be ISO-8601 UTC as new Date().toISOString() writes it ' +
          `(e.g. 2026-11-25T03:00:00.000Z), got ${JSON.stringify(event.time)}.`
      );
    }
    if (event.notebook && (typeof event.notebook.path !== 'string' || event.notebook.path === '')) {
      throw new TypeError('AuditLog.record: notebook.path must be a non-empty string.');
    }
    const payload: AuditEvent = {
      action: event.action,
      user: event.user,
      time: event.time,
      notebook: event.notebook
        ? { path: event.notebook.path, fileId: event.notebook.fileId ?? null }
        : null,
      rationale: event.rationale ?? null,
      details: event.details ?? {}
    };
    return toRecord(this.chain.append(payload as unknown as Record<string, unknown>));
  }

  /** Events matching the filters, oldest first. */
  query(filters: AuditQuery = {}): AuditRecord[] {
    for (const key of ['from', 'to'] as const) {
      if (filters[key] !== undefined && !isAuditTime(filters[key])) {
        throw new TypeError(
          `AuditLog.query: ${key} must be ISO-8601 UTC as new Date().toISOString() writes it, got ${JSON.stringify(filters[key])}.`
        );
      }
    }
    return this.chain
      .find(
        { notebook: filters.notebook, user: filters.user, action: filters.action },
        { column: 'time', from: filters.from, to: filters.to },
        filters.limit
      )
      .map(toRecord);
  }

  verify(options: { anchor?: ChainAnchor | null } = {}): VerifyReport {
    return this.chain.verify(options);
  }

  export(fromSeq?: number, toSeq?: number): ChainExport {
    return this.chain.export(fromSeq, toSeq);
  }
}
