/**
 * `pullPrometheus` against a real Prometheus (Debian's binary) scraping a local exporter every
 * second, the slice ingested into a real `Catalog`; then the error paths: bad PromQL, an
 * unreachable server, a non-Prometheus answer, a timeout, and windows over the bounds.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import { LiveSourceError, pullPrometheus } from '@opsbook/adapters';
import { Catalog } from '../../src';
import { duck, tempStore } from '../helpers';
import { Exporter, freePort, ServerProcess, startPrometheus, waitFor, withLogs } from './servers';

const exporter = new Exporter();
let prometheus: ServerProcess;
let target: string;
const stores: string[] = [];
const catalogs: Catalog[] = [];

beforeAll(async () => {
  target = await exporter.start();
  prometheus = await startPrometheus([target]);
}, 30_000);

afterAll(async () => {
  for (const catalog of catalogs) {
    await catalog.close().catch(() => undefined);
  }
  stores.forEach(dir => fs.rmSync(dir, { recursive: true, force: true }));
  await prometheus?.stop();
  await exporter.stop();
});

function openCatalog(): Catalog {
  const dir = tempStore();
  stores.push(dir);
  const catalog = Catalog.open(dir);
  catalogs.push(catalog);
  return catalog;
}

/** Waits until Prometheus has stored the exporter's samples up to `timestampMs` (polling). */
async function storedUpTo(timestampMs: number): Promise<void> {
  await waitFor(`Prometheus to store the sample of ${timestampMs}`, async () => {
    const response = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent(
        'min(timestamp(opsbook_test_temperature) or timestamp(opsbook_test_requests_total))'
      )}`
    );
    const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
    const seconds = Number(body.data.result[0]?.value[1] ?? 0);
    return seconds * 1000 >= timestampMs ? true : undefined;
  });
}

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

describe('pulling a range query from a real Prometheus into the catalog', () => {
  it('stores the gauge values served, at their timestamps and labels, and records the query', () =>
    withLogs([prometheus], async () => {
      // Prometheus' scrape manager applies new targets every 5 s, then scrapes every second.
      await waitFor('three scrapes of the exporter', async () =>
        exporter.scrapes.length >= 3 ? true : undefined
      );
      const start = exporter.scrapes[0].timestampMs;
      const last = exporter.scrapes[2].timestampMs;
      // The last step at or after the third scrape (the next one is ~1 s later).
      const end = start + Math.ceil((last - start) / 500) * 500;
      await storedUpTo(last);

      const query = 'opsbook_test_temperature{job="opsbook-exporter"}';
      const pulled = await pullPrometheus({
        baseUrl: `${prometheus.url}/`,
        query,
        start: new Date(start),
        end: new Date(end),
        step: '500ms'
      });
      const startIso = new Date(start).toISOString();
      const endIso = new Date(end).toISOString();
      expect(pulled.source).toBe(
        `prometheus:${prometheus.url} query_range query=${JSON.stringify(query)} ` +
          `start=${startIso} end=${endIso} step=0.5s`
      );
      const points = Math.floor((end - start) / 500) + 1;
      expect(pulled.description).toMatchObject({
        system: 'prometheus',
        series: 2,
        samples: 2 * points,
        warnings: []
      });

      const catalog = openCatalog();
      const { snapshots, report } = await catalog.ingest({
        dataset: 'live_prometheus',
        ...pulled
      });
      expect(report).toMatchObject({ rowsRead: 2 * points, rowsStored: 2 * points });
      expect(snapshots).toHaveLength(1);
      const snapshot = catalog.snapshot(snapshots[0].id);
      expect(snapshot).toMatchObject({
        table: 'metric_points',
        source: pulled.source,
        adapter: { name: 'prometheus-api' }
      });
      expect(catalog.lineage(snapshot.id)[0].snapshot.source).toBe(pulled.source);

      const rows = await duck(
        `SELECT CAST(epoch_ns(time) AS VARCHAR) AS ns, metric_name, service_name,
                service_instance_id, map_extract_value(attributes, 'room') AS room, value
         FROM read_parquet('${snapshot.file}') ORDER BY room, time`
      );
      expect(rows).toHaveLength(2 * points);
      for (const room of ['a', 'b'] as const) {
        const series = rows.filter(r => r.room === JSON.stringify(room));
        expect(series.map(r => BigInt(r.ns as string))).toEqual(
          Array.from({ length: points }, (_, k) => BigInt(start + 500 * k) * 1_000_000n)
        );
        for (const row of series) {
          expect(row).toMatchObject({
            metric_name: 'opsbook_test_temperature',
            service_name: 'opsbook-exporter',
            service_instance_id: target
          });
          // At each step Prometheus answers the latest sample at or before it.
          const served = exporter.servedAt(Number(BigInt(row.ns as string) / 1_000_000n));
          expect(row.value).toBe(served!.gauge[room]);
        }
        // With a step shorter than the scrape interval, every scrape in the window is seen.
        const servedInWindow = exporter.scrapes
          .filter(s => s.timestampMs >= start && s.timestampMs <= end)
          .map(s => s.gauge[room]);
        expect(new Set(series.map(r => r.value))).toEqual(new Set(servedInWindow));
      }
    }));

  it('keeps counters monotonic and equal to the values served', () =>
    withLogs([prometheus], async () => {
      const start = exporter.scrapes[0].timestampMs;
      const end = exporter.scrapes[2].timestampMs;
      await storedUpTo(end);
      const pulled = await pullPrometheus({
        baseUrl: prometheus.url,
        query: 'opsbook_test_requests_total',
        start: start / 1000,
        end: end / 1000,
        step: 1
      });
      const catalog = openCatalog();
      const { snapshots } = await catalog.ingest({ dataset: 'live_counter', ...pulled });
      const rows = await duck(
        `SELECT CAST(epoch_ms(time) AS DOUBLE) AS ms, value,
                map_extract_value(attributes, 'code') AS code
         FROM read_parquet('${snapshots[0].file}') ORDER BY time`
      );
      expect(rows.length).toBe(Math.floor((end - start) / 1000) + 1);
      expect(rows[rows.length - 1].value as number).toBeGreaterThan(rows[0].value as number);
      rows.forEach((row, i) => {
        expect(row.code).toBe('"200"');
        expect(row.value).toBe(exporter.servedAt(row.ms as number)!.counter);
        if (i > 0) {
          expect(row.value as number).toBeGreaterThanOrEqual(rows[i - 1].value as number);
        }
      });
    }));

  it('refuses too many samples in the answer, naming maxSamples', () =>
    withLogs([prometheus], async () => {
      const start = exporter.scrapes[0].timestampMs;
      const message = await failure(
        pullPrometheus({
          baseUrl: prometheus.url,
          query: 'opsbook_test_temperature',
          start: new Date(start),
          end: new Date(start + 5000),
          step: 1,
          maxSamples: 8
        }),
        'too-many-samples'
      );
      expect(message).toContain('12 samples (2 series x up to 6 points)');
      expect(message).toContain('maxSamples allows (8)');
    }));
});

describe('pullPrometheus errors', () => {
  it("reports bad PromQL with Prometheus' own message", () =>
    withLogs([prometheus], async () => {
      const message = await failure(
        pullPrometheus({
          baseUrl: prometheus.url,
          query: 'rate(opsbook_test_requests_total[1m]',
          start: new Date(Date.now() - 60_000),
          end: new Date(),
          step: 15
        }),
        'api-error'
      );
      expect(message).toContain(`Prometheus at ${prometheus.url}/api/v1/query_range refused`);
      expect(message).toContain('bad_data');
      expect(message).toMatch(/parse error/);
    }));

  it('names the URL of an unreachable server', async () => {
    const port = await freePort();
    const message = await failure(
      pullPrometheus({
        baseUrl: `http://127.0.0.1:${port}`,
        query: 'up',
        start: new Date(Date.now() - 60_000),
        end: new Date(),
        step: 15
      }),
      'unreachable'
    );
    expect(message).toContain(`Could not reach Prometheus at http://127.0.0.1:${port}/api/v1/`);
    expect(message).toContain('ECONNREFUSED');
  });

  it('says when the server is not Prometheus (a non-JSON answer)', async () => {
    const message = await failure(
      pullPrometheus({
        baseUrl: `http://${target}`,
        query: 'up',
        start: new Date(Date.now() - 60_000),
        end: new Date(),
        step: 15
      }),
      'not-json'
    );
    expect(message).toContain(`http://${target}/api/v1/query_range answered HTTP 404`);
    expect(message).toContain('404 page not found');
  });

  it('gives up after timeoutMs on a server that never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = http.createServer(() => undefined);
    silent.on('connection', socket => sockets.push(socket));
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      const began = Date.now();
      const message = await failure(
        pullPrometheus({
          baseUrl: url,
          query: 'up',
          start: new Date(Date.now() - 60_000),
          end: new Date(),
          step: 15,
          timeoutMs: 300
        }),
        'timeout'
      );
      expect(Date.now() - began).toBeLessThan(3000);
      expect(message).toContain(
        `Prometheus at ${url}/api/v1/query_range did not answer within 300 ms`
      );
    } finally {
      sockets.forEach(s => s.destroy());
      await new Promise(resolve => silent.close(resolve));
    }
  });

  it('refuses a window over 11,000 points per series before sending anything', async () => {
    let requests = 0;
    const counting: typeof fetch = (...args) => {
      requests++;
      return fetch(...args);
    };
    const message = await failure(
      pullPrometheus({
        baseUrl: prometheus.url,
        query: 'up',
        start: '2026-01-01T00:00:00Z',
        end: '2026-01-02T00:00:00Z',
        step: '1s',
        fetch: counting
      }),
      'too-many-points'
    );
    expect(message).toBe(
      'Prometheus pull: the window 2026-01-01T00:00:00.000Z to 2026-01-02T00:00:00.000Z at step ' +
        '1s gives 86401 points per series, but Prometheus refuses (end - start) / step > 11000 ' +
        '(11001 points per series). Use a step of at least 7.855s or a shorter window. ' +
        'Nothing was requested.'
    );
    await failure(
      pullPrometheus({
        baseUrl: prometheus.url,
        query: 'up',
        start: '2026-01-01T00:00:00Z',
        end: '2026-01-01T01:00:00Z',
        step: '1s',
        maxSamples: 1000,
        fetch: counting
      }),
      'too-many-points'
    );
    expect(requests).toBe(0);
  });

  it('rejects bad parameters with the parameter named', async () => {
    const base = { query: 'up', start: 0, end: 60, step: 15 };
    expect(
      await failure(pullPrometheus({ ...base, baseUrl: 'prometheus:9090' }), 'bad-parameter')
    ).toContain('uses prometheus: instead of http:');
    expect(
      await failure(pullPrometheus({ ...base, baseUrl: 'http://u:p@host:9090' }), 'bad-parameter')
    ).toContain('"baseUrl" contains credentials');
    expect(
      await failure(
        pullPrometheus({ ...base, baseUrl: prometheus.url, start: 'yesterday' }),
        'bad-parameter'
      )
    ).toContain('"start" is not a time: "yesterday"');
    expect(
      await failure(pullPrometheus({ ...base, baseUrl: prometheus.url, end: -1 }), 'bad-parameter')
    ).toContain('"end" (1969-12-31T23:59:59.000Z) is before start');
    expect(
      await failure(
        pullPrometheus({ ...base, baseUrl: prometheus.url, step: '0s' }),
        'bad-parameter'
      )
    ).toContain('"step" is not a positive duration');
    expect(
      await failure(
        pullPrometheus({ ...base, baseUrl: prometheus.url, query: ' ' }),
        'bad-parameter'
      )
    ).toContain('"query" is empty');
    expect(
      await failure(
        pullPrometheus({ ...base, baseUrl: prometheus.url, start: Date.now() }),
        'bad-parameter'
      )
    ).toContain('too large for Unix seconds (it looks like milliseconds)');
  });
});
