/**
 * The client of the server's per-cell history (docs/provenance.md, "Per-cell history"), through
 * `ServerConnection.makeRequest` so the token and XSRF cookie go with every request:
 *
 *   GET  /api/opsbook/history?notebook=&cell=   {versions, runs, current}
 *   POST /api/opsbook/history/checkpoint        {notebook, cellId?} -> {recorded, unchanged}
 *   POST /api/opsbook/history/restore           {notebook, cellId, seq} -> the new version
 *
 * The server records versions (who, when, what the cell held); this client only reads them and
 * asks for checkpoints and restores. Requests go through `requestJson` (api.ts): failures are
 * `RunLogError`s carrying the server's message.
 */
import { ServerConnection } from '@jupyterlab/services';
import type { JsonValue, LoggedCellVersion } from '@opsbook/provenance';
import { requestJson, type LoggedRun } from './api';

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
    return requestJson(
      this._settings,
      'GET',
      ['history'],
      undefined,
      new URLSearchParams({ notebook, cell: cellId })
    );
  }

  /** Records a checkpoint version of one cell (or of every changed cell). */
  checkpoint(
    notebook: string,
    cellId?: string
  ): Promise<{ recorded: LoggedCellVersion[]; unchanged: string[] }> {
    return requestJson(this._settings, 'POST', ['history', 'checkpoint'], { notebook, cellId });
  }

  /** Restores version `seq` of a cell; resolves with the new `restore` version. */
  restore(notebook: string, cellId: string, seq: number): Promise<LoggedCellVersion> {
    return requestJson(this._settings, 'POST', ['history', 'restore'], { notebook, cellId, seq });
  }
}
