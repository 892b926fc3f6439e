/**
 * `pullAlertmanager`: the alerts an Alertmanager holds now, through its API v2.
 *
 *   GET <baseUrl>/api/v2/alerts?active=&silenced=&inhibited=&unprocessed=&filter=<matcher>...
 *   -> [{"labels":{...},"annotations":{...},"startsAt":"...","endsAt":"...","fingerprint":"...",
 *        "generatorURL":"...","receivers":[{"name":"..."}],"updatedAt":"...",
 *        "status":{"state":"active|suppressed|unprocessed","silencedBy":[],"inhibitedBy":[]}}]
 *
 * Each alert is rewritten as one webhook payload (`{"version":"4","status":...,"receiver":...,
 * "alerts":[...]}`, one per line), the format the existing `alertmanagerAdapter` maps, so pulled
 * and pushed alerts become identical `events` rows (same idempotence key: source, fingerprint,
 * startsAt). Status: `resolved` when `endsAt` is set and not after the pull time, else `firing`
 * (whatever `status.state` says: a silenced or inhibited alert still fires). A firing alert's
 * `endsAt` is only Alertmanager's projected expiry (now + resolve_timeout), not an end, so its
 * `end_time` stays null.
 *
 * Alertmanager itself leaves alerts whose `endsAt` has passed out of this API, so in practice a
 * pull returns firing alerts only; resolved ones reach Opsbook through webhook files.
 */
import { alertmanagerAdapter } from '../alertmanager';
import { LiveSourceError } from './errors';
import { exchange, excerpt, normaliseBaseUrl } from './http';
import { DEFAULT_LIVE_LIMITS } from './limits';
import { PulledSource } from './source';

/** Options of `pullAlertmanager`. */
export interface AlertmanagerPullOptions {
  /** Alertmanager's address with any path prefix, e.g. `http://alertmanager:9093`. */
  baseUrl: string;
  /** Include active alerts (default true, as Alertmanager). */
  active?: boolean;
  /** Include silenced alerts (default true). */
  silenced?: boolean;
  /** Include inhibited alerts (default true). */
  inhibited?: boolean;
  /** Include alerts not processed yet (default true). */
  unprocessed?: boolean;
  /** Label matchers, all of which must hold: `alertname="HighLatency"`, `severity=~"crit.*"`. */
  filter?: string[];
  /** Only alerts routed to receivers matching this regular expression. */
  receiver?: string;
  /** Milliseconds for the request (default 30,000). */
  timeoutMs?: number;
  /** Most alerts accepted (default 10,000). */
  maxAlerts?: number;
  /** Largest answer body in bytes (default 128 MiB). */
  maxResponseBytes?: number;
  /** Extra request headers, e.g. Authorization; never recorded in the lineage. */
  headers?: Record<string, string>;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Cancels the pull. */
  signal?: AbortSignal;
}

/** Alertmanager's "no time" (Go's zero time), which the webhook adapter reads as no end. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function bad(parameter: string, problem: string, hint = ''): LiveSourceError {
  return new LiveSourceError('bad-parameter', { system: 'Alertmanager', parameter, problem, hint });
}

function flag(parameter: string, value: unknown): boolean {
  if (value === undefined) {
    return true;
  }
  if (typeof value !== 'boolean') {
    throw bad(parameter, `must be true or false, not ${JSON.stringify(value)}`);
  }
  return value;
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

/** One API v2 alert as a webhook payload line (see the module comment). */
function toWebhookPayload(alert: unknown, pulledAtMs: number): Record<string, unknown> {
  if (typeof alert !== 'object' || alert === null || Array.isArray(alert)) {
    // Passed on as is: the adapter reports it with its position.
    return { version: '4', alerts: [alert] };
  }
  const a = alert as Record<string, unknown>;
  const endsAt = typeof a.endsAt === 'string' ? a.endsAt : '';
  const endMs = endsAt && !endsAt.startsWith('0001-') ? Date.parse(endsAt) : NaN;
  const resolved = Number.isFinite(endMs) && endMs <= pulledAtMs;
  const status = resolved ? 'resolved' : 'firing';
  const receivers = Array.isArray(a.receivers)
    ? a.receivers
        .map(r => (r as { name?: unknown })?.name)
        .filter((name): name is string => typeof name === 'string')
    : [];
  return {
    version: '4',
    status,
    receiver: receivers.join(','),
    alerts: [
      {
        status,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        // An unparsable endsAt is passed on, so the adapter reports it.
        endsAt: resolved || (endsAt && !Number.isFinite(endMs)) ? endsAt : ZERO_TIME,
        generatorURL: a.generatorURL,
        fingerprint: a.fingerprint
      }
    ]
  };
}

/**
 * Pulls the alerts Alertmanager holds now (see the module comment) and returns them as webhook
 * payloads with `alertmanagerAdapter` and the lineage. Throws `LiveSourceError` for bad
 * parameters, an unreachable server, a timeout, a rejected filter, a non-JSON answer or more
 * than `maxAlerts` alerts.
 */
export async function pullAlertmanager(options: AlertmanagerPullOptions): Promise<PulledSource> {
  const baseUrl = normaliseBaseUrl('Alertmanager', options.baseUrl);
  const flags = {
    active: flag('active', options.active),
    silenced: flag('silenced', options.silenced),
    inhibited: flag('inhibited', options.inhibited),
    unprocessed: flag('unprocessed', options.unprocessed)
  };
  const filter = options.filter ?? [];
  if (!Array.isArray(filter) || filter.some(f => typeof f !== 'string' || f.trim() === '')) {
    throw bad(
      'filter',
      `must be a list of label matchers, not ${JSON.stringify(filter)}`,
      'E.g. ["alertname=\\"HighLatency\\"", "severity=~\\"critical|page\\""].'
    );
  }
  if (options.receiver !== undefined && typeof options.receiver !== 'string') {
    throw bad('receiver', 'must be a regular expression string');
  }
  const timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULT_LIVE_LIMITS.timeoutMs);
  const maxAlerts = positive('maxAlerts', options.maxAlerts, DEFAULT_LIVE_LIMITS.maxAlerts);
  const maxResponseBytes = positive(
    'maxResponseBytes',
    options.maxResponseBytes,
    DEFAULT_LIVE_LIMITS.maxResponseBytes
  );

  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(flags)) {
    search.append(key, String(value));
  }
  filter.forEach(f => search.append('filter', f));
  if (options.receiver !== undefined) {
    search.append('receiver', options.receiver);
  }
  const url = `${baseUrl}/api/v2/alerts`;
  const began = Date.now();
  const answer = await exchange({
    system: 'Alertmanager',
    url: `${url}?${search}`,
    headers: options.headers,
    timeoutMs,
    maxResponseBytes,
    signal: options.signal,
    fetch: options.fetch
  });
  const pulledAtMs = Date.now();
  if (answer.json === undefined) {
    throw new LiveSourceError('not-json', {
      system: 'Alertmanager',
      url,
      status: answer.status,
      contentType: answer.contentType || 'no Content-Type',
      body: excerpt(answer.bytes)
    });
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw new LiveSourceError('http-status', {
      system: 'Alertmanager',
      url,
      status: answer.status,
      body: excerpt(typeof answer.json === 'string' ? answer.json : answer.bytes),
      hint:
        answer.status === 400
          ? `Check the filter matchers ${JSON.stringify(filter)} and the receiver regex.`
          : 'Check the URL and the headers (authentication).'
    });
  }
  if (!Array.isArray(answer.json)) {
    throw new LiveSourceError('unexpected-answer', {
      system: 'Alertmanager',
      url,
      expected: 'a list of alerts',
      found: excerpt(answer.bytes, 120),
      api: 'API v2'
    });
  }
  const alerts = answer.json as unknown[];
  if (alerts.length > maxAlerts) {
    throw new LiveSourceError('too-many-samples', {
      system: 'Alertmanager',
      url,
      found: `${alerts.length} alerts`,
      parameter: 'maxAlerts',
      limit: maxAlerts,
      hint: 'Add filter matchers (e.g. severity="critical"), or raise maxAlerts.'
    });
  }
  const lines = alerts.map(a => JSON.stringify(toWebhookPayload(a, pulledAtMs)));
  const pulledAt = new Date(pulledAtMs).toISOString();
  const flagText = Object.entries(flags)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  const source =
    `alertmanager:${baseUrl} alerts ${flagText} filter=${JSON.stringify(filter)}` +
    (options.receiver !== undefined ? ` receiver=${JSON.stringify(options.receiver)}` : '') +
    ` at=${pulledAt}`;
  const parameters: Record<string, string | string[]> = {
    ...Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, String(v)])),
    filter
  };
  if (options.receiver !== undefined) {
    parameters.receiver = options.receiver;
  }
  return {
    adapter: alertmanagerAdapter(),
    input: lines.length ? `${lines.join('\n')}\n` : '',
    source,
    description: {
      system: 'alertmanager',
      baseUrl,
      url,
      parameters,
      pulledAt,
      durationMs: pulledAtMs - began,
      bytes: answer.bytes.length,
      alerts: alerts.length,
      warnings: [],
      summary: `${alerts.length} alerts from Alertmanager at ${baseUrl}`
    }
  };
}
