/**
 * `pullAlertmanager` against a real Alertmanager (Debian's binary): alerts posted to its API v2,
 * pulled, ingested into a real `Catalog` and checked as `events` rows; then filters and errors.
 */
import * as fs from 'fs';
import { LiveSourceError, pullAlertmanager } from '@opsbook/adapters';
import { Catalog } from '../../src';
import { duck, tempStore } from '../helpers';
import { freePort, ServerProcess, startAlertmanager, waitFor, withLogs } from './servers';

let alertmanager: ServerProcess;
const stores: string[] = [];
const catalogs: Catalog[] = [];

beforeAll(async () => {
  alertmanager = await startAlertmanager();
}, 30_000);

afterAll(async () => {
  for (const catalog of catalogs) {
    await catalog.close().catch(() => undefined);
  }
  stores.forEach(dir => fs.rmSync(dir, { recursive: true, force: true }));
  await alertmanager?.stop();
});

function openCatalog(): Catalog {
  const dir = tempStore();
  stores.push(dir);
  const catalog = Catalog.open(dir);
  catalogs.push(catalog);
  return catalog;
}

/** Posts alerts to Alertmanager's API v2, as Prometheus does. */
async function post(alerts: Record<string, unknown>[]): Promise<void> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts)
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`POST /api/v2/alerts answered ${response.status}: ${text}`);
  }
}

/** Waits until Alertmanager lists every alert named in `names`. */
async function listed(names: string[]): Promise<void> {
  await waitFor(`Alertmanager to list ${names.join(', ')}`, async () => {
    const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
    const alerts = (await response.json()) as { labels: Record<string, string> }[];
    const present = new Set(alerts.map(a => a.labels.alertname));
    return names.every(n => present.has(n)) ? true : undefined;
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);

/** Rejects unless `promise` fails with a `LiveSourceError` of `code`; returns its message. */
async function failure(promise: Promise<unknown>, code: string): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(LiveSourceError);
  expect((error as LiveSourceError).code).toBe(code);
  return (error as Error).message;
}

describe('pulling alerts from a real Alertmanager into the catalog', () => {
  const now = Date.now() - (Date.now() % 1000);
  const firing = {
    labels: {
      alertname: 'CheckoutLatencyHigh',
      severity: 'critical',
      service: 'checkout',
      instance: 'checkout-7f9c:8080',
      namespace: 'shop'
    },
    annotations: { summary: 'p99 latency above 2s', description: 'checkout p99 is 2.4s for 5m' },
    startsAt: iso(now - 120_000),
    generatorURL: 'http://prometheus.example/graph?g0.expr=latency'
  };
  const resolved = {
    labels: { alertname: 'DiskAlmostFull', severity: 'warning', service: 'db' },
    annotations: { summary: 'disk 91% full' },
    startsAt: iso(now - 600_000),
    endsAt: iso(now - 300_000)
  };
  const ending = {
    labels: { alertname: 'QueueBacklog', severity: 'warning', service: 'worker' },
    annotations: { summary: 'backlog above 10k' },
    startsAt: iso(now - 60_000),
    endsAt: iso(Date.now() + 1500)
  };

  beforeAll(async () => {
    await post([firing, resolved, ending]);
    await listed(['CheckoutLatencyHigh', 'QueueBacklog']);
  });

  it('stores the firing alert as an event with its name, labels, severity, status and start', () =>
    withLogs([alertmanager], async () => {
      const before = Date.now();
      const pulled = await pullAlertmanager({
        baseUrl: alertmanager.url,
        filter: ['alertname=~"CheckoutLatencyHigh|DiskAlmostFull"']
      });
      const pulledAt = pulled.description.pulledAt;
      expect(Date.parse(pulledAt)).toBeGreaterThanOrEqual(before);
      expect(pulled.source).toBe(
        `alertmanager:${alertmanager.url} alerts active=true silenced=true inhibited=true ` +
          `unprocessed=true filter=["alertname=~\\"CheckoutLatencyHigh|DiskAlmostFull\\""] ` +
          `at=${pulledAt}`
      );
      // Alertmanager accepted the resolved alert but leaves alerts whose endsAt has passed out
      // of API v2: a pull sees what is firing now.
      expect(pulled.description.alerts).toBe(1);

      const catalog = openCatalog();
      const { snapshots, report } = await catalog.ingest({ dataset: 'live_alerts', ...pulled });
      expect(report).toMatchObject({ rowsRead: 1, rowsStored: 1, rowsQuarantined: 0 });
      const snapshot = catalog.snapshot(snapshots[0].id);
      expect(snapshot).toMatchObject({
        table: 'events',
        source: pulled.source,
        adapter: { name: 'alertmanager' }
      });
      const rows = await duck(
        `SELECT CAST(epoch_ns(time) AS VARCHAR) AS time, end_time, event_type, event_id, name,
                status, severity, summary, body, source, url, service_name, service_instance_id,
                k8s_namespace_name, map_extract_value(attributes, 'alertname') AS alertname,
                map_extract_value(attributes, 'alertmanager.receiver') AS receiver
         FROM read_parquet('${snapshot.file}')`
      );
      expect(rows).toEqual([
        {
          time: ns(now - 120_000),
          end_time: null,
          event_type: 'alert',
          event_id: expect.stringMatching(/^[0-9a-f]{16}$/),
          name: 'CheckoutLatencyHigh',
          status: 'firing',
          severity: 'critical',
          summary: 'p99 latency above 2s',
          body: 'checkout p99 is 2.4s for 5m',
          source: 'alertmanager',
          url: 'http://prometheus.example/graph?g0.expr=latency',
          service_name: 'checkout',
          service_instance_id: 'checkout-7f9c:8080',
          k8s_namespace_name: 'shop',
          alertname: '"CheckoutLatencyHigh"',
          receiver: '"opsbook-null"'
        }
      ]);
    }));

  it('records an alert whose endsAt passes while the answer is on its way as resolved', () =>
    withLogs([alertmanager], async () => {
      // A slow network: the answer arrives after the alert's endsAt. Alertmanager listed it as
      // active when it answered; by the pull time it has ended.
      const slow: typeof fetch = async (...args) => {
        const response = await fetch(...args);
        const body = await response.arrayBuffer();
        await waitFor('QueueBacklog to end', async () =>
          Date.now() > Date.parse(ending.endsAt) ? true : undefined
        );
        return new Response(body, { status: response.status, headers: response.headers });
      };
      const pulled = await pullAlertmanager({
        baseUrl: alertmanager.url,
        filter: ['alertname="QueueBacklog"'],
        fetch: slow
      });
      expect(pulled.description.alerts).toBe(1);
      const catalog = openCatalog();
      const { snapshots } = await catalog.ingest({ dataset: 'live_alerts', ...pulled });
      const rows = await duck(
        `SELECT CAST(epoch_ns(time) AS VARCHAR) AS time, CAST(epoch_ns(end_time) AS VARCHAR) AS end,
                name, status, severity, service_name
         FROM read_parquet('${snapshots[0].file}')`
      );
      expect(rows).toEqual([
        {
          time: ns(Date.parse(ending.startsAt)),
          end: ns(Date.parse(ending.endsAt)),
          name: 'QueueBacklog',
          status: 'resolved',
          severity: 'warning',
          service_name: 'worker'
        }
      ]);
    }));

  it('passes filters to Alertmanager and returns nothing when nothing matches', async () => {
    const pulled = await pullAlertmanager({
      baseUrl: alertmanager.url,
      filter: ['severity="page"'],
      silenced: false,
      inhibited: false
    });
    expect(pulled.description.alerts).toBe(0);
    expect(pulled.input).toBe('');
    expect(pulled.source).toContain(
      'alerts active=true silenced=false inhibited=false unprocessed=true filter=["severity=\\"page\\""]'
    );
  });
});

describe('pullAlertmanager errors', () => {
  it("reports a malformed filter with Alertmanager's message", () =>
    withLogs([alertmanager], async () => {
      const message = await failure(
        pullAlertmanager({ baseUrl: alertmanager.url, filter: ['alertname=~"("'] }),
        'http-status'
      );
      expect(message).toContain(`Alertmanager at ${alertmanager.url}/api/v2/alerts`);
      expect(message).toContain('HTTP 400');
      expect(message).toContain('Check the filter matchers');
    }));

  it('names the URL of an unreachable server', async () => {
    const port = await freePort();
    const message = await failure(
      pullAlertmanager({ baseUrl: `http://127.0.0.1:${port}/am` }),
      'unreachable'
    );
    expect(message).toContain(
      `Could not reach Alertmanager at http://127.0.0.1:${port}/am/api/v2/alerts`
    );
  });

  it('refuses more than maxAlerts alerts', () =>
    withLogs([alertmanager], async () => {
      const startsAt = iso(Date.now() - 1000);
      await post([
        { labels: { alertname: 'BoundA' }, startsAt },
        { labels: { alertname: 'BoundB' }, startsAt }
      ]);
      await listed(['BoundA', 'BoundB']);
      const message = await failure(
        pullAlertmanager({ baseUrl: alertmanager.url, maxAlerts: 1 }),
        'too-many-samples'
      );
      expect(message).toMatch(/has \d+ alerts, more than maxAlerts allows \(1\)/);
    }));

  it('rejects a filter that is not a list of matchers', async () => {
    const message = await failure(
      pullAlertmanager({
        baseUrl: alertmanager.url,
        filter: 'alertname=X' as unknown as string[]
      }),
      'bad-parameter'
    );
    expect(message).toContain('"filter" must be a list of label matchers');
  });
});
