/**
 * The client of the investigation bundle API (docs/provenance.md, "Investigation bundles"),
 * through `ServerConnection.makeRequest` so the token and XSRF cookie go with every request:
 *
 *   GET  /api/opsbook/bundles?notebook=P   the bundle file (<name>.opsbundle)
 *   POST /api/opsbook/bundles              body: a bundle file -> {notebook, bundleId, snapshots,
 *                                          runs, report}; 422 {message, report} when rejected
 *
 * The browser holds a downloaded bundle in memory (as a Blob) before saving it; the server
 * streams it. For bundles of many GB use `opsbook bundle export` on the server.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type { BundleReport } from '@opsbook/provenance';

/** The verification report of a bundle, as the server answers it (`BundleReport`). */
export type BundleReportView = BundleReport;

/** The answer to an import: the imported notebook, or the report of a rejected bundle. */
export type BundleImportAnswer =
  | {
      ok: true;
      notebook: string;
      bundleId: string;
      snapshots: { imported: string[]; skipped: string[] };
      runs: number;
      report: BundleReportView;
    }
  | { ok: false; message: string; report: BundleReportView | null };

/** Investigation bundles on the server. */
export class BundleClient {
  private readonly _settings = ServerConnection.makeSettings();

  /** Downloads the bundle of `notebook`; resolves with its file name and bytes. */
  async download(notebook: string): Promise<{ name: string; blob: Blob }> {
    const url = `${this._url()}?${new URLSearchParams({ notebook })}`;
    const response = await ServerConnection.makeRequest(url, { method: 'GET' }, this._settings);
    if (!response.ok) {
      throw new Error(await messageOf(response));
    }
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
    const fallback = (notebook.split('/').pop() ?? 'notebook').replace(/\.ipynb$/, '');
    const name = match ? decodeURIComponent(match[1]) : `${fallback}.opsbundle`;
    return { name, blob: await response.blob() };
  }

  /** Uploads `file` for verification and import. */
  async import(file: Blob): Promise<BundleImportAnswer> {
    const response = await ServerConnection.makeRequest(
      this._url(),
      { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } },
      this._settings
    );
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: the message is the text.
    }
    if (response.ok) {
      return { ok: true, ...(body as Omit<Extract<BundleImportAnswer, { ok: true }>, 'ok'>) };
    }
    return {
      ok: false,
      message: `${(body.message as string | undefined) ?? (text || response.statusText)} (HTTP ${response.status})`,
      report: (body.report as BundleReportView | undefined) ?? null
    };
  }

  private _url(): string {
    return URLExt.join(this._settings.baseUrl, 'api', 'opsbook', 'bundles');
  }
}

async function messageOf(response: Response): Promise<string> {
  const text = await response.text();
  try {
    return `${(JSON.parse(text) as { message?: string }).message ?? text} (HTTP ${response.status})`;
  } catch {
    return `${text || response.statusText} (HTTP ${response.status})`;
  }
}
