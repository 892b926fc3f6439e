/**
 * The server's provenance: the store opened on first use (a server nobody runs cells on never
 * creates a key), the audit entries other parts of the server record through hooks, and closing
 * on shutdown.
 *
 * Hooks (`documentOpened`, `checkpoint`, `ingested`) never throw: the action they describe has
 * already happened, so a failing audit write is logged as an error instead of failing the request.
 * The provenance routes write through `store()` and do fail when the store cannot be written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { AuditAction, AuditRecord } from '@opsbook/provenance/lib/audit-log';
import type { StampedRunRecord } from '@opsbook/provenance/lib/run-record';

import type { IngestOutcome, WorkerJob } from '../catalog/protocol';
import type { RequestContext } from '../http/router';
import type { Logger } from '../log';
import { NotebookPaths } from './notebook-paths';
import { openServerProvenanceStore, PROVENANCE_DB_FILE, type ServerProvenanceStore } from './store';

/** Header carrying an optional rationale on write requests (percent-encoded UTF-8 is decoded). */
export const RATIONALE_HEADER = 'x-opsbook-rationale';

/** Longest rationale kept, in characters: a few sentences; the rest is cut. */
const MAX_RATIONALE = 2000;

/** An audit event as callers give it; the service stamps the time. */
export interface AuditInput {
  action: AuditAction;
  user: string;
  notebook?: { path: string; fileId?: string | null } | null;
  rationale?: string | null;
  details?: Record<string, unknown>;
}

/** Options of `ServerProvenance`. */
export interface ServerProvenanceOptions {
  /** The store directory (config `provenanceDir`). */
  dir: string;
  log: Logger;
}

/** The server's run log and audit trail (see the module comment). */
export class ServerProvenance {
  /** Renames, and the queries by path that follow a notebook across them (notebook-paths.ts). */
  readonly paths = new NotebookPaths(() => this.store());
  private opened: ServerProvenanceStore | null = null;
  /** `user\0path` of documents whose `open` is recorded since the server started. */
  private readonly openSeen = new Set<string>();
  private closed = false;

  constructor(private readonly options: ServerProvenanceOptions) {}

  /** The open store (opened, and created, on first use). */
  store(): ServerProvenanceStore {
    if (this.closed) {
      throw new Error('The provenance store is closed (the server is shutting down).');
    }
    return (this.opened ??= openServerProvenanceStore(this.options.dir));
  }

  /**
   * The logged run with this id, or null. Does not create the store: a server that never logged
   * a run has none to confirm.
   */
  findRun(runId: string): StampedRunRecord | null {
    if (!this.opened && !fs.existsSync(path.join(this.options.dir, PROVENANCE_DB_FILE))) {
      return null;
    }
    return this.store().runs.get(runId)?.record ?? null;
  }

  /** Records an audit event stamped with the server's time now; throws on failure. */
  record(event: AuditInput): AuditRecord {
    return this.store().audit.record({ ...event, time: new Date().toISOString() });
  }

  /**
   * Records `open` the first time `user` opens `path` since the server started (a collaboration
   * session PUT); later opens by the same user are not recorded again, so reloads and reconnects
   * do not flood the trail.
   */
  documentOpened(ctx: RequestContext, path: string, fileId: string): void {
    const key = `${ctx.user.username}\0${path}`;
    if (this.openSeen.has(key)) {
      return;
    }
    this.openSeen.add(key);
    this.note({
      action: 'open',
      user: ctx.user.username,
      notebook: { path, fileId },
      rationale: rationaleOf(ctx)
    });
  }

  /** Records `checkpoint` (a contents checkpoint created or restored). */
  checkpoint(
    ctx: RequestContext,
    operation: 'create' | 'restore',
    path: string,
    checkpointId: string
  ): void {
    this.note({
      action: 'checkpoint',
      user: ctx.user.username,
      notebook: { path, fileId: null },
      rationale: rationaleOf(ctx),
      details: { operation, checkpointId }
    });
  }

  /** Records `ingest` when the ingest runner finishes an upload or a pull that stored its data. */
  ingested(job: WorkerJob, outcome: IngestOutcome): void {
    const { report } = outcome;
    this.note({
      action: 'ingest',
      user: job.user,
      details: {
        type: job.type,
        dataset: job.dataset,
        source: job.type === 'ingest' ? job.source : `${job.source}:${job.baseUrl}`,
        snapshotIds: outcome.snapshots.map(s => s.id),
        manifestId: report.manifestId,
        rowsIn: report.rowsIn,
        rowsStored: report.rowsStored,
        duplicatesDropped: report.duplicatesDropped,
        rowsQuarantined: report.rowsQuarantined,
        unchanged: report.unchanged
      }
    });
  }

  /** Closes the store (server shutdown); later hooks are dropped. */
  close(): void {
    this.closed = true;
    this.opened?.close();
    this.opened = null;
  }

  /** `record` for hooks: failures are logged, never thrown (see the module comment). */
  private note(event: AuditInput): void {
    if (this.closed) {
      return;
    }
    try {
      this.record(event);
    } catch (error) {
      this.options.log.error(
        `Could not record the audit entry '${event.action}' by ${event.user} in ${this.options.dir}`,
        error
      );
    }
  }
}

/** The request's rationale: the `X-Opsbook-Rationale` header, else `fallback` (a body field). */
export function rationaleOf(ctx: RequestContext, fallback: string | null = null): string | null {
  const header = ctx.req.headers[RATIONALE_HEADER];
  let text = Array.isArray(header) ? header.join(' ') : header;
  if (text !== undefined) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // Not percent-encoded: keep it as sent.
    }
  }
  const value = (text ?? fallback ?? '').trim();
  return value === '' ? null : value.slice(0, MAX_RATIONALE);
}
