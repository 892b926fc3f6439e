/**
 * The client of the server's run log (docs/provenance.md, "Server API and CLI"), through
 * `ServerConnection.makeRequest` so the token and XSRF cookie go with every request:
 *
 *   POST /api/opsbook/runs                      an unstamped RunRecord -> {seq, hash, signature, record}
 *   GET  /api/opsbook/runs?notebook=&cell=      {runs: [{seq, hash, signature, record}]}, oldest first
 *   POST /api/opsbook/runs/<runId>/replays      {hash, rows, durationMs, diverged?} -> ReplayView
 *   GET  /api/opsbook/runs/<runId>/replays      {replays: ReplayView[]}, oldest first
 *
 * The server stamps who and when, signs, and decides whether a replay reproduced; this client
 * never sends those. Failures become `RunLogError`s whose message says what the server said.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type {
  LineageGraph,
  ProvDocument,
  ReplayView,
  RunRecord,
  StampedRunRecord
} from '@opsbook/provenance';

/** One entry of the run log, as the server returns it. */
export interface LoggedRun {
  seq: number;
  /** The entry's chain hash (not the result hash). */
  hash: string;
  signature: string;
  record: StampedRunRecord;
}

export type { ReplayView };

/** What a client reports about a replay. */
export interface ReplaySubmission {
  hash: string;
  rows: number;
  durationMs: number;
  /** What differs and the likely causes, when the hashes differ. */
  diverged?: Record<string, unknown> | null;
}

/** A request to the run log that failed, with the server's message. */
export class RunLogError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'RunLogError';
  }
}

/** The run log of the server the page came from. */
export class RunLogClient {
  constructor(
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** Records a run; resolves with the entry the server stamped and signed. */
  recordRun(record: RunRecord, durationMs: number): Promise<LoggedRun> {
    return requestJson<LoggedRun>(this._settings, 'POST', ['runs'], { ...record, durationMs });
  }

  /** A cell's runs in a notebook, oldest first. */
  async runs(notebook: string, cellId: string): Promise<LoggedRun[]> {
    const query = new URLSearchParams({ notebook, cell: cellId });
    return (
      await requestJson<{ runs: LoggedRun[] }>(this._settings, 'GET', ['runs'], undefined, query)
    ).runs;
  }

  /** Every recorded run of a notebook (at most 10,000), oldest first. */
  async notebookRuns(notebook: string): Promise<LoggedRun[]> {
    const query = new URLSearchParams({ notebook, limit: '10000' });
    return (
      await requestJson<{ runs: LoggedRun[] }>(this._settings, 'GET', ['runs'], undefined, query)
    ).runs;
  }

  /** One run of the log by its id (`404` becomes a `RunLogError`). */
  async run(runId: string): Promise<LoggedRun> {
    return requestJson<LoggedRun>(this._settings, 'GET', ['runs', runId]);
  }

  /** Records a replay of a run; the server decides `reproduced`. */
  recordReplay(runId: string, replay: ReplaySubmission): Promise<ReplayView> {
    return requestJson<ReplayView>(this._settings, 'POST', ['runs', runId, 'replays'], replay);
  }

  /** The replays of a run, oldest first. */
  async replays(runId: string): Promise<ReplayView[]> {
    return (
      await requestJson<{ replays: ReplayView[] }>(this._settings, 'GET', [
        'runs',
        runId,
        'replays'
      ])
    ).replays;
  }

  /** The lineage graph of a notebook (`GET /api/opsbook/lineage`); empty without runs. */
  lineage(notebook: string): Promise<LineageGraph> {
    return requestJson<LineageGraph>(
      this._settings,
      'GET',
      ['lineage'],
      undefined,
      new URLSearchParams({ notebook })
    );
  }

  /** The notebook's lineage as W3C PROV-JSON (the server records the export). */
  provJson(notebook: string): Promise<ProvDocument> {
    const query = new URLSearchParams({ notebook, format: 'prov-json', download: '1' });
    return requestJson<ProvDocument>(this._settings, 'GET', ['lineage'], undefined, query);
  }

  /** A page of the audit trail, newest first; pass `next` as `before` for the following one. */
  auditPage(filters: AuditFilters): Promise<AuditPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
      if (value !== undefined && value !== null && value !== '') {
        query.set(key, String(value));
      }
    }
    return requestJson<AuditPage>(this._settings, 'GET', ['audit', 'recent'], undefined, query);
  }

  /** Verifies the run log and the audit trail on the server. */
  auditVerify(): Promise<AuditVerifyReport> {
    return requestJson<AuditVerifyReport>(this._settings, 'GET', ['audit', 'verify']);
  }
}

/**
 * Sends one JSON request to `/api/opsbook/<parts…>` (each part URL-encoded) of the server in
 * `settings`, through `ServerConnection.makeRequest` so the token and XSRF cookie go with it, and
 * parses the JSON answer. A network failure or an HTTP error becomes a `RunLogError` whose message
 * is the server's (status 0 when the server could not be reached).
 */
export async function requestJson<T>(
  settings: ServerConnection.ISettings,
  method: 'GET' | 'POST',
  parts: string[],
  body?: unknown,
  query?: URLSearchParams
): Promise<T> {
  const path = URLExt.join(settings.baseUrl, 'api', 'opsbook', ...parts.map(encodeURIComponent));
  const url = query ? `${path}?${query}` : path;
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      body === undefined
        ? { method }
        : {
            method,
            body: JSON.stringify(body),
            headers: { 'Content-Type': 'application/json' }
          },
      settings
    );
  } catch (error) {
    throw new RunLogError(`the server could not be reached (${(error as Error).message})`, 0);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // Not JSON: keep the text.
    }
    throw new RunLogError(
      `${message || response.statusText} (HTTP ${response.status})`,
      response.status
    );
  }
  return JSON.parse(text) as T;
}

/** Filters of an audit page (`GET /api/opsbook/audit/recent`); empty ones are left out. */
export interface AuditFilters {
  notebook?: string;
  user?: string;
  action?: string;
  /** Inclusive ISO-8601 bounds on the entry time. */
  from?: string;
  to?: string;
  /** Only entries with a smaller seq (the previous page's `next`). */
  before?: number | null;
  limit?: number;
}

/** One audit entry as the server returns it. */
export interface AuditEntry {
  seq: number;
  hash: string;
  action: string;
  user: string;
  time: string;
  notebook: { path: string; fileId: string | null } | null;
  rationale: string | null;
  details: Record<string, unknown>;
}

/** A page of the audit trail, newest first. */
export interface AuditPage {
  entries: AuditEntry[];
  /** Where the next (older) page starts, or null at the start of the trail. */
  next: number | null;
  /** Every action the server records (for a filter). */
  actions: string[];
}

/** The state of one hash chain on the server. */
export interface ChainStatusView {
  ok: boolean;
  verified: number;
  head: { seq: number; hash: string } | null;
  firstBad: { seq: number; problem: string; reason: string } | null;
}

/** `GET /api/opsbook/audit/verify`: both chains. */
export interface AuditVerifyReport {
  ok: boolean;
  runs: ChainStatusView;
  audit: ChainStatusView;
}
