/**
 * The client of the server's per-cell history (docs/provenance.md, "Per-cell history"), through
 * `ServerConnection.makeRequest` so the token and XSRF cookie go with every request:
 *
 *   GET  /api/opsbook/history?notebook=&cell=   {versions, runs, current}
 *   POST /api/opsbook/history/checkpoint        {notebook, cellId?} -> {recorded, unchanged}
 *   POST /api/opsbook/history/restore           {notebook, cellId, seq} -> the new version
 *
 * The server records versions (who, when, what the cell held); this client only reads them and
 * asks for checkpoints and restores. Failures are `RunLogError`s carrying the server's message.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type { JsonValue, LoggedCellVersion } from '@opsbook/provenance';
import { RunLogError, type LoggedRun } from './api';

/** A cell's history as the server answers it. */
export interface CellHistoryResponse {
  notebook: string;
  cellId: string;
  /** Oldest first. */
  versions: LoggedCellVersion[];
  /** The cell's runs from the run log, oldest first. */
  runs: LoggedRun[];
  /** The cell as the server holds it now, and whether that is its last recorded version. */
  current: {
    id: string;
    source: string;
    opsbook: { [key: string]: JsonValue };
    version: string;
    recorded: boolean;
  } | null;
}

/** The per-cell history of the server the page came from. */
export class CellHistoryClient {
  constructor(
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** The versions, runs and current state of a cell. */
  history(notebook: string, cellId: string): Promise<CellHistoryResponse> {
    return this._json('GET', 'history', undefined, new URLSearchParams({ notebook, cell: cellId }));
  }

  /** Records a checkpoint version of one cell (or of every changed cell). */
  checkpoint(
    notebook: string,
    cellId?: string
  ): Promise<{ recorded: LoggedCellVersion[]; unchanged: string[] }> {
    return this._json('POST', 'history/checkpoint', { notebook, cellId });
  }

  /** Restores version `seq` of a cell; resolves with the new `restore` version. */
  restore(notebook: string, cellId: string, seq: number): Promise<LoggedCellVersion> {
    return this._json('POST', 'history/restore', { notebook, cellId, seq });
  }

  private async _json<T>(
    method: 'GET' | 'POST',
    route: string,
    body?: unknown,
    query?: URLSearchParams
  ): Promise<T> {
    const path = URLExt.join(this._settings.baseUrl, 'api', 'opsbook', route);
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
