/**
 * `pullPrometheus`: a bounded PromQL range query through the Prometheus HTTP API.
 *
 *   POST <baseUrl>/api/v1/query_range   (application/x-www-form-urlencoded, so long queries fit)
 *     query=<promql> start=<unix s> end=<unix s> step=<s> timeout=<s>
 *   -> {"status":"success","data":{"resultType":"matrix","result":[{"metric":{...},
 *       "values":[[<unix s>,"<value>"],...]},...]},"warnings":[...]}
 *   -> {"status":"error","errorType":"bad_data","error":"..."}   (HTTP 400/422/503)
 *
 * Bounds, checked before anything is sent: points per series = floor((end - start) / step) + 1
 * must stay within Prometheus' own limit (it refuses (end - start) / step > 11,000) and within
 * `maxSamples`; after the answer: series x points <= `maxSamples`, body <= `maxResponseBytes`.
 * The answer bytes are mapped by `prometheusApiAdapter` (one `metric_points` row per sample,
 * `job` -> service_name, `instance` -> service_instance_id, other labels -> attributes).
 */
import { parseIso } from '../timestamps';
import { prometheusApiAdapter } from '../prometheus';
import { LiveSourceError } from './errors';
import { exchange, excerpt, normaliseBaseUrl } from './http';
import { DEFAULT_LIVE_LIMITS, PROMETHEUS_MAX_POINTS_PER_SERIES } from './limits';
import { PulledSource } from './source';

/** A point in time: a `Date`, an ISO-8601 / RFC 3339 string (UTC if no zone), or Unix seconds. */
export type LiveTime = Date | string | number;

/** Options of `pullPrometheus`. */
export interface PrometheusPullOptions {
  /** Prometheus' address with any path prefix, e.g. `http://prometheus:9090`. */
  baseUrl: string;
  /** The PromQL expression. */
  query: string;
  /** Start of the window (inclusive). */
  start: LiveTime;
  /** End of the window (inclusive). */
  end: LiveTime;
  /** Resolution: seconds, or a duration such as `15s`, `1m`, `500ms`. */
  step: number | string;
  /** Milliseconds for the request (default 30,000); Prometheus is given the same timeout. */
  timeoutMs?: number;
  /** Most samples (points x series) accepted (default 1,000,000). */
  maxSamples?: number;
  /** Largest answer body in bytes (default 128 MiB). */
  maxResponseBytes?: number;
  /** Extra request headers, e.g. Authorization; never recorded in the lineage. */
  headers?: Record<string, string>;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Cancels the pull. */
  signal?: AbortSignal;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000
};

function bad(parameter: string, problem: string, hint = ''): LiveSourceError {
  return new LiveSourceError('bad-parameter', { system: 'Prometheus', parameter, problem, hint });
}

/** `value` as integer Unix milliseconds (Prometheus' own precision). */
function toMs(parameter: string, value: unknown): number {
  let ms: number | null = null;
  if (value instanceof Date) {
    ms = value.getTime();
  } else if (typeof value === 'number') {
    ms = value * 1000;
  } else if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    ms = Number(value) * 1000;
  } else if (typeof value === 'string') {
    const ns = parseIso(value);
    ms = ns === null ? null : Number(ns / 1_000_000n);
  }
  if (typeof value === 'number' && Math.abs(value) >= 1e11) {
    throw bad(
      parameter,
      `is ${value}, too large for Unix seconds (it looks like milliseconds)`,
      'Give Unix seconds, or a Date: new Date(milliseconds).'
    );
  }
  // Beyond +-8.64e15 ms a Date is invalid (and no Prometheus holds data there).
  if (ms === null || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw bad(
      parameter,
      `is not a time: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
      'Give a Date, an ISO-8601 time such as 2026-01-01T10:00:00Z, or Unix seconds.'
    );
  }
  return Math.round(ms);
}

/** `step` as integer milliseconds. */
function stepMs(value: unknown): number {
  let ms: number | null = null;
  if (typeof value === 'number') {
    ms = value * 1000;
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(value);
    ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? 's'] : null;
  }
  if (ms === null || !Number.isFinite(ms) || Math.round(ms) <= 0) {
    throw bad(
      'step',
      `is not a positive duration: ${JSON.stringify(value)}`,
      'Give seconds (15) or a duration such as "15s", "1m", "500ms".'
    );
  }
  return Math.round(ms);
}

function positive(parameter: string, value: number | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isInteger(value) || value <= 0) {
    throw bad(parameter, `must be a positive integer, not ${String(value)}`);
  }
  return value;
}

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => String(ms / 1000);

/**
 * The bounds check of a range query, before anything is sent: throws `too-many-points` when
 * `(end - start) / step` passes Prometheus' 11,000 points per series or `maxSamples`.
 * Returns the points per series.
 */
export function checkRangeBounds(
  startMs: number,
  endMs: number,
  step: number,
  maxSamples: number
): number {
  const windowMs = endMs - startMs;
  const points = Math.floor(windowMs / step) + 1;
  const limits: [number, string][] = [
    [
      PROMETHEUS_MAX_POINTS_PER_SERIES + 1,
      `Prometheus refuses (end - start) / step > ${PROMETHEUS_MAX_POINTS_PER_SERIES} ` +
        `(${PROMETHEUS_MAX_POINTS_PER_SERIES + 1} points per series)`
    ],
    [maxSamples, `maxSamples allows ${maxSamples} samples in all`]
  ];
  for (const [limit, why] of limits) {
    if (points > limit) {
      throw new LiveSourceError('too-many-points', {
        start: iso(startMs),
        end: iso(endMs),
        step: seconds(step),
        points,
        limit: why,
        minStep: Math.ceil(windowMs / Math.max(1, limit - 1)) / 1000
      });
    }
  }
  return points;
}

/**
 * Pulls `query` over [start, end] at `step` from Prometheus (see the module comment) and returns
 * the answer with `prometheusApiAdapter` and its lineage. Throws `LiveSourceError` for bad
 * parameters, a window over the bounds (before any request), an unreachable server, a timeout,
 * a non-JSON answer, a Prometheus error (e.g. bad PromQL) or an answer over `maxSamples`.
 */
export async function pullPrometheus(options: PrometheusPullOptions): Promise<PulledSource> {
  const baseUrl = normaliseBaseUrl('Prometheus', options.baseUrl);
  const query = options.query;
  if (typeof query !== 'string' || query.trim() === '') {
    throw bad('query', 'is empty', 'Give a PromQL expression, e.g. rate(http_requests_total[5m]).');
  }
  const startMs = toMs('start', options.start);
  const endMs = toMs('end', options.end);
  if (endMs < startMs) {
    throw bad('end', `(${iso(endMs)}) is before start (${iso(startMs)})`);
  }
  const step = stepMs(options.step);
  const timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULT_LIVE_LIMITS.timeoutMs);
  const maxSamples = positive('maxSamples', options.maxSamples, DEFAULT_LIVE_LIMITS.maxSamples);
  const maxResponseBytes = positive(
    'maxResponseBytes',
    options.maxResponseBytes,
    DEFAULT_LIVE_LIMITS.maxResponseBytes
  );
  const points = checkRangeBounds(startMs, endMs, step, maxSamples);

  const url = `${baseUrl}/api/v1/query_range`;
  const parameters = {
    query,
    start: seconds(startMs),
    end: seconds(endMs),
    step: seconds(step),
    timeout: `${seconds(timeoutMs)}s`
  };
  const began = Date.now();
  const answer = await exchange({
    system: 'Prometheus',
    url,
    method: 'POST',
    form: new URLSearchParams(parameters),
    headers: options.headers,
    timeoutMs,
    maxResponseBytes,
    signal: options.signal,
    fetch: options.fetch
  });
  const durationMs = Date.now() - began;
  const body = answer.json as
    | {
        status?: unknown;
        errorType?: unknown;
        error?: unknown;
        warnings?: unknown;
        data?: { resultType?: unknown; result?: unknown };
      }
    | undefined;
  const common = { system: 'Prometheus', url, status: answer.status };
  if (body === undefined || typeof body !== 'object' || body === null) {
    throw new LiveSourceError('not-json', {
      ...common,
      contentType: answer.contentType || 'no Content-Type',
      body: excerpt(answer.bytes)
    });
  }
  if (body.status === 'error') {
    throw new LiveSourceError('api-error', {
      system: 'Prometheus',
      url,
      errorType: String(body.errorType ?? 'unknown'),
      error: String(body.error ?? '(no message)')
    });
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw new LiveSourceError('http-status', {
      ...common,
      body: excerpt(answer.bytes),
      hint: 'Check the URL and the headers (authentication).'
    });
  }
  const result = body.data?.result;
  if (body.status !== 'success' || body.data?.resultType !== 'matrix' || !Array.isArray(result)) {
    throw new LiveSourceError('unexpected-answer', {
      system: 'Prometheus',
      url,
      expected: '"status":"success" and a "matrix" result',
      found: excerpt(answer.bytes, 120),
      api: 'HTTP API v1'
    });
  }
  let samples = 0;
  let histogramSamples = 0;
  for (const series of result as { values?: unknown; histograms?: unknown }[]) {
    samples += Array.isArray(series?.values) ? series.values.length : 0;
    histogramSamples += Array.isArray(series?.histograms) ? series.histograms.length : 0;
  }
  if (samples + histogramSamples > maxSamples) {
    throw new LiveSourceError('too-many-samples', {
      system: 'Prometheus',
      url,
      found: `${samples + histogramSamples} samples (${result.length} series x up to ${points} points)`,
      parameter: 'maxSamples',
      limit: maxSamples,
      hint:
        'Add label matchers or aggregate (sum by (...)), shorten the window or raise the step; ' +
        'or raise maxSamples.'
    });
  }
  const warnings = Array.isArray(body.warnings) ? body.warnings.map(w => String(w)) : [];
  if (histogramSamples > 0) {
    warnings.push(
      `${histogramSamples} native-histogram samples were left out: the snapshot holds float ` +
        'samples only. Query histogram_quantile(...) or the classic _bucket series instead.'
    );
  }
  const source =
    `prometheus:${baseUrl} query_range query=${JSON.stringify(query)} ` +
    `start=${iso(startMs)} end=${iso(endMs)} step=${seconds(step)}s`;
  return {
    adapter: prometheusApiAdapter(),
    input: answer.bytes,
    source,
    description: {
      system: 'prometheus',
      baseUrl,
      url,
      parameters,
      pulledAt: new Date().toISOString(),
      durationMs,
      bytes: answer.bytes.length,
      series: result.length,
      samples,
      warnings,
      summary: `${result.length} series, ${samples} samples from Prometheus at ${baseUrl}`
    }
  };
}
