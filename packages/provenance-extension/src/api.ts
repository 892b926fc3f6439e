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
import type { RunRecord, StampedRunRecord } from '@opsbook/provenance';

/** One entry of the run log, as the server returns it. */
export interface LoggedRun {
  seq: number;
  /** The entry's chain hash (not the result hash). */
  hash: string;
  signature: string;
  record: StampedRunRecord;
}

/** A replay as the server recorded it. */
export interface ReplayView {
  runId: string;
  auditSeq: number;
  user: string;
  time: string;
  /** Decided by the server: the replay's hash equals the recorded one. */
  reproduced: boolean;
  hash: string;
  recordedHash: string;
  rows: number;
  recordedRows: number;
  durationMs: number;
  diverged: Record<string, unknown> | null;
  rationale: string | null;
}

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
    return this._json<LoggedRun>('POST', ['runs'], { ...record, durationMs });
  }

  /** A cell's runs in a notebook, oldest first. */
  async runs(notebook: string, cellId: string): Promise<LoggedRun[]> {
    const query = new URLSearchParams({ notebook, cell: cellId });
    return (await this._json<{ runs: LoggedRun[] }>('GET', ['runs'], undefined, query)).runs;
  }

  /** Records a replay of a run; the server decides `reproduced`. */
  recordReplay(runId: string, replay: ReplaySubmission): Promise<ReplayView> {
    return this._json<ReplayView>('POST', ['runs', runId, 'replays'], replay);
  }

  /** The replays of a run, oldest first. */
  async replays(runId: string): Promise<ReplayView[]> {
    return (await this._json<{ replays: ReplayView[] }>('GET', ['runs', runId, 'replays'])).replays;
  }

  private async _json<T>(
    method: 'GET' | 'POST',
    parts: string[],
    body?: unknown,
    query?: URLSearchParams
  ): Promise<T> {
    const path = URLExt.join(
      this._settings.baseUrl,
      'api',
      'opsbook',
      ...parts.map(encodeURIComponent)
    );
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
        this._settings
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
}
