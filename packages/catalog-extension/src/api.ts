/**
 * The catalog client: JSON reads through `ServerConnection.makeRequest` (token and XSRF handled
 * there), the NDJSON answers of ingest and pull read line by line as they arrive, and uploads by
 * XMLHttpRequest, the one browser API that reports upload progress (bytes sent) while also
 * streaming the answer (`responseText` grows with each chunk).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import {
  normalizeDataset,
  normalizeDetail,
  normalizeMessage,
  type DatasetDetail,
  type DatasetSummary,
  type ErrorMessage,
  type IngestMessage,
  type PullRequest,
  type PullSource
} from './protocol';

/** A table the browser's DuckDB knows (`GET /api/datasets`), with its catalog origin. */
export interface SqlTable {
  /** The SQL name (`checkout_spans`, `spans`). */
  name: string;
  columns: { name: string; type: string }[];
  snapshot: { dataset: string; table: string; id: string } | null;
}

/** What an ingest or pull calls back with while it runs. */
export interface StreamCallbacks {
  /** Bytes of the request body sent so far (uploads only). */
  onUploadProgress?: (sent: number, total: number) => void;
  /** Each NDJSON line, in order. */
  onMessage: (message: IngestMessage) => void;
}

/** Options of one upload. */
export interface UploadOptions {
  file: File;
  dataset: string;
  /** Adapter kind (`as=`). */
  kind: string;
  onError: 'reject' | 'quarantine';
  /** Target table of a tabular format (csv, parquet, arrow): spans, logs, metrics or events. */
  table?: string;
}

/** A handle on a running upload or pull. */
export interface Job {
  /** Resolves with the final message (a report or an error). */
  done: Promise<IngestMessage>;
  cancel(): void;
}

/** Talks to the catalog routes of the Opsbook server. */
export class CatalogClient {
  constructor(settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {
    this.settings = settings;
  }

  /** Every dataset with its tables. */
  async datasets(): Promise<DatasetSummary[]> {
    const body = await this.getJson(this.url('api', 'opsbook', 'catalog'));
    const list = (body as { datasets?: unknown[] }).datasets;
    return (Array.isArray(list) ? list : []).map(normalizeDataset).filter(d => d.name);
  }

  /** A dataset's snapshots. */
  async dataset(name: string): Promise<DatasetDetail> {
    const body = await this.getJson(
      this.url('api', 'opsbook', 'catalog', encodeURIComponent(name))
    );
    return normalizeDetail(body, name);
  }

  /** The SQL tables of the browser's DuckDB (empty when the listing fails). */
  async sqlTables(): Promise<SqlTable[]> {
    try {
      const body = (await this.getJson(this.url('api', 'datasets'))) as { datasets?: unknown[] };
      return (body.datasets ?? []).map(d => {
        const e = d as Partial<SqlTable>;
        return {
          name: String(e.name ?? ''),
          columns: Array.isArray(e.columns) ? e.columns : [],
          snapshot: e.snapshot && typeof e.snapshot === 'object' ? e.snapshot : null
        };
      });
    } catch {
      return [];
    }
  }

  /** The configured pull sources. */
  async sources(): Promise<PullSource[]> {
    const body = (await this.getJson(this.url('api', 'opsbook', 'pull', 'sources'))) as {
      sources?: PullSource[];
    };
    return Array.isArray(body.sources) ? body.sources : [];
  }

  /**
   * Whether this user may add data (`/api/me` permissions: viewers may not). True when the
   * server does not say, so a failing check never hides what the server would allow; the server
   * enforces the role either way.
   */
  async canIngest(): Promise<boolean> {
    const asked = encodeURIComponent(JSON.stringify({ opsbook: ['ingest'] }));
    try {
      const body = (await this.getJson(`${this.url('api', 'me')}?permissions=${asked}`)) as {
        permissions?: { opsbook?: unknown };
      };
      const actions = body.permissions?.opsbook;
      return !Array.isArray(actions) || actions.includes('ingest');
    } catch {
      return true;
    }
  }

  /** Streams `options.file` to the ingest route. */
  upload(options: UploadOptions, callbacks: StreamCallbacks): Job {
    const query = new URLSearchParams({
      dataset: options.dataset,
      as: options.kind,
      filename: options.file.name
    });
    if (options.onError === 'quarantine') {
      query.set('onError', 'quarantine');
    }
    if (options.table) {
      query.set('table', options.table);
    }
    const url = `${this.url('api', 'opsbook', 'ingest')}?${query}`;
    const xhr = new XMLHttpRequest();
    const lines = new LineReader(callbacks.onMessage);
    const done = new Promise<IngestMessage>(resolve => {
      let seen = 0;
      const read = () => {
        const text = xhr.responseText;
        if (text.length > seen) {
          if (xhr.status >= 200 && xhr.status < 300) {
            lines.push(text.slice(seen));
          }
          seen = text.length;
        }
      };
      xhr.upload.onprogress = e => callbacks.onUploadProgress?.(e.loaded, e.total);
      xhr.onprogress = read;
      xhr.onload = () => {
        read();
        if (xhr.status < 200 || xhr.status >= 300) {
          resolve(lines.finish(httpError(xhr.status, xhr.responseText)));
        } else {
          resolve(lines.finish(null));
        }
      };
      xhr.onerror = () =>
        resolve(
          lines.finish(
            failure(
              'network',
              'The upload was cut off: the server could not be reached or closed the connection. Check the server is running, then upload again.'
            )
          )
        );
      xhr.onabort = () => resolve(lines.finish(failure('cancelled', 'Upload cancelled.')));
    });
    xhr.open('POST', url);
    for (const [name, value] of Object.entries(this.authHeaders())) {
      xhr.setRequestHeader(name, value);
    }
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.send(options.file);
    return { done, cancel: () => xhr.abort() };
  }

  /** Runs a pull and streams its answer. */
  pull(request: PullRequest, callbacks: StreamCallbacks): Job {
    const abort = new AbortController();
    const lines = new LineReader(callbacks.onMessage);
    const done = (async (): Promise<IngestMessage> => {
      try {
        const response = await ServerConnection.makeRequest(
          this.url('api', 'opsbook', 'pull'),
          { method: 'POST', body: JSON.stringify(request), signal: abort.signal },
          this.settings
        );
        if (!response.ok) {
          return lines.finish(httpError(response.status, await response.text()));
        }
        const reader = response.body?.getReader();
        if (!reader) {
          lines.push(await response.text());
          return lines.finish(null);
        }
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          lines.push(decoder.decode(value, { stream: true }));
        }
        lines.push(decoder.decode());
        return lines.finish(null);
      } catch (err) {
        return lines.finish(
          abort.signal.aborted
            ? failure('cancelled', 'Pull cancelled.')
            : failure(
                'network',
                `The pull was cut off: ${String(err)}. Check the server is running.`
              )
        );
      }
    })();
    return { done, cancel: () => abort.abort() };
  }

  private url(...parts: string[]): string {
    return URLExt.join(this.settings.baseUrl, ...parts);
  }

  private async getJson(url: string): Promise<unknown> {
    const response = await ServerConnection.makeRequest(url, {}, this.settings);
    const text = await response.text();
    if (!response.ok) {
      throw new Error(httpError(response.status, text).error.message);
    }
    return text ? JSON.parse(text) : {};
  }

  /** The headers `makeRequest` would add: the token and the XSRF cookie. */
  private authHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.settings.token) {
      headers.Authorization = `token ${this.settings.token}`;
    }
    const xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b')?.[1];
    if (xsrf) {
      headers['X-XSRFToken'] = xsrf;
    }
    return headers;
  }

  private readonly settings: ServerConnection.ISettings;
}

/** Splits a growing text into NDJSON lines and remembers the last report or error. */
class LineReader {
  constructor(private readonly onMessage: (m: IngestMessage) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      this.line(this.buffer.slice(0, nl));
      this.buffer = this.buffer.slice(nl + 1);
    }
  }

  /** The final message: `override`, else the last report/error, else a "no report" error. */
  finish(override: ErrorMessage | null): IngestMessage {
    if (this.buffer.trim()) {
      this.line(this.buffer);
      this.buffer = '';
    }
    const final =
      override ??
      this.last ??
      failure(
        'no-report',
        'The server ended the answer without a report. Look at the server log, then try again.'
      );
    if (final !== this.last) {
      this.onMessage(final);
    }
    return final;
  }

  private line(text: string): void {
    if (!text.trim()) {
      return;
    }
    let message: IngestMessage | null;
    try {
      message = normalizeMessage(JSON.parse(text));
    } catch {
      message = failure(
        'bad-answer',
        `The server sent a line that is not JSON: ${text.slice(0, 200)}`
      );
    }
    if (message) {
      if (message.type !== 'progress') {
        this.last = message;
      }
      this.onMessage(message);
    }
  }

  private buffer = '';
  private last: IngestMessage | null = null;
}

const READ_ONLY =
  'You have read-only access to this workspace: ask an editor to add the data, or an owner to give you the editor role.';

/** An error message of the client itself. */
export function failure(code: string, message: string): ErrorMessage {
  return { type: 'error', error: { code, message, position: null } };
}

/** A non-2xx answer as an error message (Jupyter's `{message, reason}` body when there is one). */
function httpError(status: number, body: string): ErrorMessage {
  // An ingest that fails before its first progress line answers 4xx with its NDJSON error line.
  for (const text of body.split('\n').reverse()) {
    try {
      const line = normalizeMessage(JSON.parse(text));
      if (line?.type === 'error') {
        line.error.status = status;
        if (status === 403 && !line.error.message) {
          line.error.message = READ_ONLY;
        }
        return line;
      }
    } catch {
      // not an NDJSON line
    }
  }
  let message = '';
  try {
    const json = JSON.parse(body) as {
      message?: string;
      reason?: string;
      error?: { message?: string };
    };
    message = json.error?.message ?? json.message ?? json.reason ?? '';
  } catch {
    message = body.slice(0, 300);
  }
  if (status === 403) {
    // The server's message says who and why; ours only when it sent none.
    message = message || READ_ONLY;
  } else if (status === 404 && !message) {
    message = 'The server has no catalog routes: update the Opsbook server.';
  }
  const error = failure(`http-${status}`, message || `The server answered HTTP ${status}.`);
  error.error.status = status;
  return error;
}
