/**
 * Real servers for the live-source tests: Debian's Prometheus and Alertmanager binaries started on
 * 127.0.0.1 with free ports and their own temporary config and data directories, plus a tiny
 * exporter. Logs are captured and added to the message of any failure (`withLogs`). A missing
 * binary fails the test with the package to install: these tests never skip.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** The Debian binaries and the packages that provide them. */
export const BINARIES = {
  prometheus: { path: '/usr/bin/prometheus', pkg: 'prometheus' },
  alertmanager: { path: '/usr/bin/prometheus-alertmanager', pkg: 'prometheus-alertmanager' }
} as const;

/** Throws a clear error when `binary` is not installed. */
export function requireBinary(binary: keyof typeof BINARIES): string {
  const { path: file, pkg } = BINARIES[binary];
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing, so the live-source tests cannot run. Install Debian's package: ` +
        `"apt-get install -y --no-install-recommends ${pkg}" (npm test does this when run as ` +
        'root), then run the tests again.'
    );
  }
  return file;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 100 ms until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}` +
          (last ? ` (last error: ${(last as Error).message})` : '')
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** A server process with its captured output. */
export class ServerProcess {
  private readonly output: string[] = [];
  private readonly child: ChildProcess;
  private exited: Promise<void>;

  constructor(
    /** For messages. */
    readonly name: string,
    /** Its base URL. */
    readonly url: string,
    /** Its private directory (config, data), removed by `stop`. */
    readonly dir: string,
    binary: string,
    args: string[]
  ) {
    this.child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => this.output.push(chunk.toString('utf8'));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code, signal) => {
        this.output.push(`\n[${name} exited: code ${code}, signal ${signal}]\n`);
        resolve();
      });
      this.child.once('error', error => {
        this.output.push(`\n[${name} failed to start: ${error.message}]\n`);
        resolve();
      });
    });
  }

  /** The last `max` characters of the captured output. */
  logs(max = 6000): string {
    const text = this.output.join('');
    return text.length > max ? `...${text.slice(-max)}` : text;
  }

  /** Waits until `GET <url>/-/ready` answers 200. */
  async ready(): Promise<void> {
    await waitFor(`${this.name} at ${this.url} to be ready`, async () => {
      if (this.child.exitCode !== null) {
        throw new Error(`${this.name} exited early`);
      }
      const response = await fetch(`${this.url}/-/ready`);
      await response.arrayBuffer();
      return response.ok ? true : undefined;
    }).catch(error => {
      throw withServerLogs(error, [this]);
    });
  }

  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function withServerLogs(error: unknown, servers: ServerProcess[]): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  e.message += servers.map(s => `\n\n--- ${s.name} log (${s.url}) ---\n${s.logs()}`).join('');
  return e;
}

/** Runs `test`, adding the servers' logs to the message of any failure. */
export async function withLogs<T>(servers: ServerProcess[], test: () => Promise<T>): Promise<T> {
  try {
    return await test();
  } catch (error) {
    throw withServerLogs(error, servers);
  }
}

/** Starts Prometheus scraping `targets` every second, with its own config and TSDB directory. */
export async function startPrometheus(targets: string[]): Promise<ServerProcess> {
  const binary = requireBinary('prometheus');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-prometheus-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: opsbook-exporter',
      '    static_configs:',
      `      - targets: [${targets.map(t => JSON.stringify(t)).join(', ')}]`,
      ''
    ].join('\n')
  );
  const server = new ServerProcess('prometheus', `http://127.0.0.1:${port}`, dir, binary, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=info'
  ]);
  await server.ready();
  return server;
}

/** Starts Alertmanager with a single null receiver, clustering off, its own data directory. */
export async function startAlertmanager(): Promise<ServerProcess> {
  const binary = requireBinary('alertmanager');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-alertmanager-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    ['route:', '  receiver: opsbook-null', 'receivers:', '  - name: opsbook-null', ''].join('\n')
  );
  const server = new ServerProcess('alertmanager', `http://127.0.0.1:${port}`, dir, binary, [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address='
  ]);
  await server.ready();
  return server;
}

/** What the exporter served in one scrape. */
export interface Scrape {
  /** The explicit sample timestamp written in the exposition (ms). */
  timestampMs: number;
  /** Gauge value per `room` label. */
  gauge: { a: number; b: number };
  /** Counter value (code="200"). */
  counter: number;
}

/**
 * A tiny exporter on 127.0.0.1, port 0, serving `/metrics` in the text exposition format: a gauge
 * `opsbook_test_temperature{room="a"|"b"}` whose values change every scrape and a counter
 * `opsbook_test_requests_total{code="200"}` that grows, each sample with an explicit timestamp
 * (so the test knows the exact time Prometheus stores). `scrapes` lists everything served.
 */
export class Exporter {
  readonly scrapes: Scrape[] = [];
  private server: http.Server | null = null;
  private counter = 0;
  private lastMs = 0;

  /** Listens and returns the `host:port` target. */
  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      if (request.url !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('404 page not found\n');
        return;
      }
      const n = this.scrapes.length;
      // Strictly increasing timestamps, so no two scrapes share one.
      const timestampMs = Math.max(Date.now(), this.lastMs + 1);
      this.lastMs = timestampMs;
      this.counter += 1 + (n % 4);
      const scrape: Scrape = {
        timestampMs,
        gauge: { a: 20 + (n % 7) + 0.25, b: -3.5 - (n % 5) },
        counter: this.counter
      };
      this.scrapes.push(scrape);
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(
        [
          '# HELP opsbook_test_temperature A gauge that changes every scrape.',
          '# TYPE opsbook_test_temperature gauge',
          `opsbook_test_temperature{room="a"} ${scrape.gauge.a} ${timestampMs}`,
          `opsbook_test_temperature{room="b"} ${scrape.gauge.b} ${timestampMs}`,
          '# HELP opsbook_test_requests_total A counter that grows every scrape.',
          '# TYPE opsbook_test_requests_total counter',
          `opsbook_test_requests_total{code="200"} ${scrape.counter} ${timestampMs}`,
          ''
        ].join('\n')
      );
    });
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** The scrape whose timestamp is the latest at or before `timeMs`. */
  servedAt(timeMs: number): Scrape | undefined {
    let found: Scrape | undefined;
    for (const scrape of this.scrapes) {
      if (scrape.timestampMs <= timeMs) {
        found = scrape;
      }
    }
    return found;
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
  }
}
