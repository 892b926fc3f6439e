/**
 * Test harness for browser tests: a real Opsbook server process on a temporary notebook directory,
 * and a Chromium page that records every request so tests can prove nothing leaves the machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.join(__dirname, '..');
export const UI_SPANS = 100_000;
/** Generated example data; `-canonical`: written in the canonical telemetry tables (issue #4). */
export const UI_DATA_DIR = path.join(__dirname, '.cache', `data-${UI_SPANS}-42-canonical`);
export const ARTIFACTS = path.join(__dirname, 'artifacts');

/** Chromium flags from DEVELOPERS.md: headless, and no background connections to the internet. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

/** The tables of the example catalog's default dataset (the example notebook reads them). */
export const EXAMPLE_TABLES = ['spans', 'logs', 'metrics', 'events'];
/** The catalog store of UI_DATA_DIR's files, ingested once per machine as `npm start` does. */
export const EXAMPLE_STORE = `${UI_DATA_DIR}-catalog`;

/**
 * Ingests UI_DATA_DIR's generated files into EXAMPLE_STORE's default dataset unless that was done
 * already (a `.complete` marker is written last, so an interrupted ingest is redone), and
 * returns the store's path. Tests serve a copy (`copyExampleStore`), never the cached store.
 */
export function ensureExampleStore(): string {
  if (fs.existsSync(path.join(EXAMPLE_STORE, '.complete'))) {
    return EXAMPLE_STORE;
  }
  fs.rmSync(EXAMPLE_STORE, { recursive: true, force: true });
  for (const table of EXAMPLE_TABLES) {
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'packages/server/bin/opsbook.js'),
        'ingest',
        path.join(UI_DATA_DIR, `${table}.parquet`),
        ...['--as', 'parquet', '--table', table, '--dataset', 'default', '--store', EXAMPLE_STORE]
      ],
      { stdio: 'ignore' }
    );
  }
  fs.writeFileSync(path.join(EXAMPLE_STORE, '.complete'), '');
  return EXAMPLE_STORE;
}

/**
 * A private copy of the example catalog store in a new temp dir (built first if needed), for a
 * server to serve: tests may ingest into it, and the cached store stays as generated.
 */
export function copyExampleStore(): string {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-ui-store-'));
  fs.cpSync(ensureExampleStore(), store, { recursive: true });
  return store;
}

/** A running server: its URL, token, notebook dir and process. */
export interface ServerHandle {
  url: string;
  token: string;
  notebookDir: string;
  process: ChildProcess;
  log: string[];
  stop(): Promise<void>;
  /**
   * Stops the process and starts a new one on the same port, notebook dir and state dir
   * (`<notebookDir>/.opsbook`): a new server session id, the persisted collaboration log kept.
   */
  restart(): Promise<ServerHandle>;
}

/**
 * Copies the example notebooks into a fresh temp dir and starts `opsbook serve` on port 0.
 * `store` is a telemetry catalog to serve (`--store`; its default dataset's tables then win over
 * the same-named files of UI_DATA_DIR).
 */
export async function startServer(
  options: { usersFile?: string; notebookDir?: string; port?: number; store?: string } = {}
): Promise<ServerHandle> {
  const notebookDir = options.notebookDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-ui-'));
  if (!options.notebookDir) {
    for (const f of fs.readdirSync(path.join(ROOT, 'examples')).filter(f => f.endsWith('.ipynb'))) {
      fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(notebookDir, f));
    }
  }
  const args = [
    path.join(ROOT, 'packages/server/bin/opsbook.js'),
    'serve',
    '--notebooks',
    notebookDir,
    '--data',
    UI_DATA_DIR,
    '--port',
    String(options.port ?? 0),
    '--token',
    'ui-test-token-0123456789'
  ];
  if (options.usersFile) {
    args.push('--users', options.usersFile);
  }
  if (options.store) {
    args.push('--store', options.store);
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${log.join('')}`)),
      30_000
    );
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      const match = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', code => reject(new Error(`server exited with ${code}:\n${log.join('')}`)));
  });
  const stop = () =>
    new Promise<void>(resolve => {
      if (child.exitCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return {
    url,
    token: 'ui-test-token-0123456789',
    notebookDir,
    process: child,
    log,
    stop,
    restart: async () => {
      await stop();
      return startServer({ ...options, notebookDir, port: Number(new URL(url).port) });
    }
  };
}

/** Launches Debian's Chromium with the agreed flags. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: run "npm test" (it installs it) or apt-get install chromium.`
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** A page that records every URL it requests and every console error. */
export interface RecordedPage {
  page: Page;
  requests: string[];
  errors: string[];
}

export async function openPage(browser: Browser): Promise<RecordedPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', r => requests.push(r.url()));
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => {
    if (m.type() === 'error') {
      errors.push(m.text());
    }
  });
  return { page, requests, errors };
}

/** Requests that went anywhere but the local server (data: and blob: URLs stay in the page). */
export function externalRequests(requests: string[], server: ServerHandle): string[] {
  return requests.filter(u => !u.startsWith(server.url) && !/^(data|blob):/.test(u));
}

/** Opens a notebook in the app and waits until its kernel is idle. */
export async function openNotebook(page: Page, server: ServerHandle, name: string): Promise<void> {
  await page.goto(`${server.url}/lab/tree/${name}?token=${server.token}`);
  await page.waitForSelector('body[data-opsbook-ready]', { state: 'attached', timeout: 60_000 });
  await page.waitForSelector('.jp-NotebookPanel .jp-Cell', { timeout: 60_000 });
  await waitForKernelIdle(page);
}

/** Waits until the current notebook's kernel exists and is idle. */
export async function waitForKernelIdle(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const app = (window as any).jupyterapp;
      const panel = app?.shell.currentWidget;
      const kernel = panel?.sessionContext?.session?.kernel;
      return (
        !!kernel && kernel.status === 'idle' && panel.sessionContext.kernelDisplayStatus === 'idle'
      );
    },
    undefined,
    { timeout }
  );
}

/** Runs a JupyterLab command in the page. */
export async function command(
  page: Page,
  id: string,
  args: Record<string, unknown> = {}
): Promise<void> {
  await page.evaluate(([id, args]) => (window as any).jupyterapp.commands.execute(id, args), [
    id,
    args
  ] as const);
}

/** Waits until no cell of the current notebook is running or queued. */
export async function waitForRunsToFinish(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const panel = (window as any).jupyterapp.shell.currentWidget;
      const busy = panel?.sessionContext?.session?.kernel?.status === 'busy';
      const pending =
        document.querySelectorAll('.jp-InputPrompt').length > 0 &&
        [...document.querySelectorAll('.jp-InputPrompt')].some(p =>
          (p.textContent ?? '').includes('*')
        );
      return !busy && !pending;
    },
    undefined,
    { timeout, polling: 250 }
  );
}

/** Saves a screenshot as a test artifact. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Runs the active cell with Shift+Enter and waits until that cell's run finished (its execution
 * count is set and its prompt no longer shows "*"). Returns the cell's id.
 */
export async function runActiveCell(page: Page, timeout = 120_000): Promise<string> {
  const id = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.content.activeCell.model.id as string
  );
  await page.keyboard.press('Shift+Enter');
  await page.waitForFunction(
    id => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const cell = notebook.widgets.find((c: any) => c.model.id === id);
      const prompt = cell?.node.querySelector('.jp-InputPrompt')?.textContent ?? '';
      return !!cell && cell.model.executionCount !== null && !prompt.includes('*');
    },
    id,
    { timeout, polling: 100 }
  );
  return id;
}

/** A user of a multi-user test: what the server's users file says about them. */
export interface TestUser {
  username: string;
  display_name: string;
  color: string;
  token: string;
}

/** Writes a users file (`--users`) for `users` in a temp dir and returns its path. */
export function writeUsersFile(users: TestUser[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-users-'));
  const file = path.join(dir, 'users.json');
  fs.writeFileSync(file, JSON.stringify({ users }, null, 2));
  return file;
}

/** Opens a notebook as the user with `token` (each page should have its own browser context). */
export async function openNotebookAs(
  page: Page,
  server: ServerHandle,
  name: string,
  token: string
): Promise<void> {
  await openNotebook(page, { ...server, token }, name);
}

/** The two users of the collaboration tests (the first one's token is the server's --token). */
export const ANA: TestUser = {
  username: 'ana',
  display_name: 'Ana Silva',
  color: '#1f77b4',
  token: 'ui-test-token-0123456789'
};
export const BEN: TestUser = {
  username: 'ben',
  display_name: 'Ben Ortiz',
  color: '#d62728',
  token: 'ui-test-token-ben-9876543210'
};

/** The example notebook the provenance tests drive (copied into every server's notebook dir). */
export const EXAMPLE_NOTEBOOK = 'checkout-incident.ipynb';

/** GETs `url` (a path on `server`) with `token` and parses the JSON answer. */
export async function getJson(server: ServerHandle, url: string, token = ANA.token): Promise<any> {
  return (
    await fetch(`${server.url}${url}`, { headers: { Authorization: `token ${token}` } })
  ).json();
}

/** The app a `describe` block drives as ANA (see `useAnaApp`); set once its `beforeAll` ran. */
export interface AnaApp {
  server: ServerHandle;
  browser: Browser;
  recorded: RecordedPage;
  /** GETs a path on the server as ANA and parses the JSON answer. */
  api(url: string): Promise<any>;
}

/**
 * Registers the `beforeAll` and `afterAll` of a `describe` block whose tests drive the app as ANA:
 * a server on a private copy of the example store (tests may ingest into it; the cached store
 * stays as generated) with ANA as its only user, Chromium, and a recording page.
 */
export function useAnaApp(): AnaApp {
  const app = { api: (url: string) => getJson(app.server, url) } as AnaApp;
  beforeAll(async () => {
    app.server = await startServer({ store: copyExampleStore(), usersFile: writeUsersFile([ANA]) });
    app.browser = await launchBrowser();
    app.recorded = await openPage(app.browser);
  });
  afterAll(async () => {
    await app.browser?.close();
    await app.server?.stop();
  });
  return app;
}

/** Makes cell `index` of the current notebook the active cell, in command mode, on screen. */
export async function activateCell(page: Page, index: number): Promise<void> {
  await page.evaluate(index => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = index;
    notebook.mode = 'command';
    notebook.activeCell.node.scrollIntoView({ block: 'center' });
  }, index);
}

/** The source of every cell of the current notebook. */
export async function cellSources(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as any).jupyterapp.shell.currentWidget.content.widgets.map((c: any) =>
      c.model.sharedModel.getSource()
    )
  );
}

/** The model id of cell `index` of the current notebook. */
export async function cellIdAt(page: Page, index: number): Promise<string> {
  return page.evaluate(
    index => (window as any).jupyterapp.shell.currentWidget.content.widgets[index].model.id,
    index
  );
}

/** Makes the cell with `id` the active cell of the current notebook. */
export async function selectCell(page: Page, id: string): Promise<void> {
  await page.evaluate(id => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = notebook.widgets.findIndex((c: any) => c.model.id === id);
  }, id);
}

/** How many recorded runs the cell with `id` carries in its metadata (`opsbook.runs`). */
export async function recordedRunsOf(page: Page, id: string): Promise<number> {
  return page.evaluate(id => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    const cell = notebook.widgets.find((c: any) => c.model.id === id);
    return (cell?.model.getMetadata('opsbook')?.runs ?? []).length as number;
  }, id);
}

/**
 * Runs the active cell in place (`notebook:run-cell`, the side panels keep following it) and
 * waits until its new run is recorded in its metadata. Returns the cell's id.
 */
export async function runAndRecord(page: Page, timeout = 120_000): Promise<string> {
  const id = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.content.activeCell.model.id as string
  );
  const before = await recordedRunsOf(page, id);
  await command(page, 'notebook:run-cell');
  await page.waitForFunction(
    ([id, before]) => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const cell = notebook.widgets.find((c: any) => c.model.id === id);
      return (cell?.model.getMetadata('opsbook')?.runs ?? []).length > (before as number);
    },
    [id, before] as const,
    { timeout, polling: 100 }
  );
  return id;
}

/**
 * Starts `opsbook serve` like `startServer`, with extra command-line arguments (for example
 * `--prometheus NAME=URL`). Copies the example notebooks into a fresh temp dir.
 */
export async function startServerWithArgs(extraArgs: string[]): Promise<ServerHandle> {
  const notebookDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-ui-'));
  for (const f of fs.readdirSync(path.join(ROOT, 'examples')).filter(f => f.endsWith('.ipynb'))) {
    fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(notebookDir, f));
  }
  const token = 'ui-test-token-0123456789';
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'packages/server/bin/opsbook.js'),
      'serve',
      '--notebooks',
      notebookDir,
      '--data',
      UI_DATA_DIR,
      '--port',
      '0',
      '--token',
      token,
      ...extraArgs
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const log: string[] = [];
  const url = await waitForLine(child, log, /(http:\/\/127\.0\.0\.1:\d+)\//, 'server');
  const stop = () => stopProcess(child);
  return {
    url,
    token,
    notebookDir,
    process: child,
    log,
    stop,
    restart: () => Promise.reject(new Error('startServerWithArgs servers do not restart'))
  };
}

/** A Prometheus (Debian's /usr/bin/prometheus) scraping itself every second. */
export interface PrometheusHandle {
  url: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Where Debian installs Prometheus; tests that need it are skipped without it. */
export const PROMETHEUS_PATH = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

/**
 * Starts Prometheus on a free loopback port with a temporary TSDB, scraping its own /metrics every
 * second, and waits until it is ready and has at least two scrapes of `up`.
 */
/** Fails with what to install when a Debian binary a test runs is missing (never a silent skip). */
function requireBinary(binary: string, pkg: string): void {
  if (!fs.existsSync(binary)) {
    throw new Error(
      `${binary} is missing: install Debian's ${pkg} ("apt-get install ${pkg}"; npm test does it when run as root).`
    );
  }
}

export async function startPrometheus(): Promise<PrometheusHandle> {
  requireBinary(PROMETHEUS_PATH, 'prometheus');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-prom-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: prometheus',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${port}']`,
      ''
    ].join('\n')
  );
  const child = spawn(
    PROMETHEUS_PATH,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const log: string[] = [];
  await waitForLine(child, log, /(Server is ready to receive web requests)/, 'prometheus');
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await fetch(`${url}/api/v1/query?query=count_over_time(up[1m])`)
      .then(r => r.json())
      .catch(() => null);
    const samples = Number(answer?.data?.result?.[0]?.value?.[1] ?? 0);
    if (samples >= 2) {
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(`prometheus has no samples after 30 s:\n${log.join('')}`);
    }
    await new Promise(r => setTimeout(r, 500));
  }
  return { url, dir, process: child, stop: () => stopProcess(child) };
}

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the first group of `pattern` in the process's output. */
function waitForLine(
  child: ChildProcess,
  log: string[],
  pattern: RegExp,
  what: string
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start:\n${log.join('')}`)),
      30_000
    );
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      const match = pattern.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', code => reject(new Error(`${what} exited with ${code}:\n${log.join('')}`)));
  });
}

/** SIGTERM, then resolves when the process exited. */
function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Where Debian installs Alertmanager; tests that need it are skipped without it. */
export const ALERTMANAGER_PATH =
  process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager';

/** A running Alertmanager (no receivers, no cluster). */
export interface AlertmanagerHandle {
  url: string;
  process: ChildProcess;
  /** Posts alerts to its API, as Prometheus would. */
  post(
    alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[]
  ): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Debian's Alertmanager on a free loopback port and waits until it is ready. */
export async function startAlertmanager(): Promise<AlertmanagerHandle> {
  requireBinary(ALERTMANAGER_PATH, 'prometheus-alertmanager');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-am-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n"
  );
  const child = spawn(
    ALERTMANAGER_PATH,
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address='
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const log: string[] = [];
  child.stdout!.on('data', (c: Buffer) => log.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/-/ready`)
      .then(r => r.ok)
      .catch(() => false))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`alertmanager did not start:\n${log.join('')}`);
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    post: async alerts => {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(
          alerts.map(a => ({ ...a, startsAt: new Date(Date.now() - 60_000).toISOString() }))
        )
      });
      if (!response.ok) {
        throw new Error(`alertmanager refused the alerts: ${await response.text()}`);
      }
    },
    stop: () => stopProcess(child)
  };
}
