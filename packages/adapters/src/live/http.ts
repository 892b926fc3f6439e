/**
 * The HTTP exchange shared by the live pulls: base-URL checks, one request under a timeout (the
 * body included) with an optional caller signal, the body read under a byte cap, and the answer
 * decoded as JSON when it is JSON. Failures become `LiveSourceError`s naming the server URL.
 * Runs wherever the global `fetch` does (Node >= 18, browsers).
 */
import { concatBytes } from '../bytes';
import { LiveSourceError } from './errors';

/** Which kind of server a pull talks to (used in messages). */
export type LiveSystem = 'Prometheus' | 'Alertmanager';

/** One request of a pull. */
export interface LiveRequest {
  /** The server kind, for messages. */
  system: LiveSystem;
  /** The full URL (without credentials). */
  url: string;
  /** GET (default) or POST. */
  method?: 'GET' | 'POST';
  /** A form body (sent as application/x-www-form-urlencoded). */
  form?: URLSearchParams;
  /** Extra headers (authentication); never recorded anywhere. */
  headers?: Record<string, string>;
  /** Milliseconds for the whole exchange. */
  timeoutMs: number;
  /** Largest body read. */
  maxResponseBytes: number;
  /** Cancels the exchange. */
  signal?: AbortSignal;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
}

/** The answer of a request. */
export interface LiveAnswer {
  /** HTTP status. */
  status: number;
  /** The body bytes as received. */
  bytes: Uint8Array;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
  /** The Content-Type header ('' when absent). */
  contentType: string;
}

/**
 * Checks a server base URL and returns it without a trailing slash. Refuses credentials in the
 * URL: they would end up in the lineage; they belong in `headers`.
 */
export function normaliseBaseUrl(system: LiveSystem, baseUrl: unknown): string {
  const bad = (problem: string, hint: string) =>
    new LiveSourceError('bad-parameter', { system, parameter: 'baseUrl', problem, hint });
  const example = system === 'Prometheus' ? 'http://prometheus:9090' : 'http://alertmanager:9093';
  if (typeof baseUrl !== 'string' || baseUrl.trim() === '') {
    throw bad('is missing', `Give the server's address, e.g. ${example}.`);
  }
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw bad(`is not an absolute URL: ${JSON.stringify(baseUrl)}`, `Use e.g. ${example}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw bad(`uses ${url.protocol} instead of http: or https:`, `Use e.g. ${example}.`);
  }
  if (url.username || url.password) {
    throw bad(
      'contains credentials',
      'Pass them in headers (e.g. Authorization) so they are not recorded in the lineage.'
    );
  }
  if (url.search || url.hash) {
    throw bad(
      `has a query string or fragment (${url.search}${url.hash})`,
      'Give only the server address and path prefix; the pull adds the API path and parameters.'
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Collapses whitespace and shortens a body for a message. */
export function excerpt(bytes: Uint8Array | string, max = 200): string {
  const text =
    typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes.slice(0, max * 4));
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') {
    return '(empty body)';
  }
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause && (cause.code || cause.message)) {
    return [cause.code, cause.message].filter(Boolean).join(': ');
  }
  return (error as Error)?.message ?? String(error);
}

/** Sends `request` and reads its answer (see the module comment). */
export async function exchange(request: LiveRequest): Promise<LiveAnswer> {
  const { system, url, timeoutMs } = request;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const failure = (error: unknown): LiveSourceError => {
    if (error instanceof LiveSourceError) {
      return error;
    }
    if (timeout.aborted) {
      return new LiveSourceError('timeout', { system, url, timeoutMs }, { cause: error });
    }
    if (request.signal?.aborted) {
      return new LiveSourceError('aborted', { system, url }, { cause: error });
    }
    return new LiveSourceError(
      'unreachable',
      { system, url, reason: reasonOf(error) },
      { cause: error }
    );
  };
  const doFetch = request.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') {
    throw new LiveSourceError('unreachable', {
      system,
      url,
      reason: 'no fetch in this environment; use Node 18+ or pass the fetch option'
    });
  }
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let response: Response;
  try {
    response = await doFetch(url, {
      method: request.method ?? 'GET',
      headers,
      body: request.form,
      signal
    });
  } catch (error) {
    throw failure(error);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            break;
          }
          total += value.length;
          if (total > request.maxResponseBytes) {
            throw new LiveSourceError('response-too-large', {
              system,
              url,
              limit: request.maxResponseBytes
            });
          }
          chunks.push(value);
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    }
  } catch (error) {
    throw failure(error);
  }
  const bytes = concatBytes(chunks, total);
  const contentType = response.headers.get('content-type') ?? '';
  let json: unknown = undefined;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: response.status, bytes, json, contentType };
}
