/**
 * Test helpers: temp dirs, a server on a free loopback port, and a raw HTTP client that sends
 * paths exactly as written (no URL normalisation, so traversal attempts reach the server intact).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import { createServer, OpsbookServer, ServerConfigInput, ServerDeps } from '../src';
import type { LogLevel } from '../src/log';

/** A fixed token so tests can send it; 40 hex chars like a real one. */
export const TOKEN = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';

/** The editor's token in `usersFile()` (the owner's is TOKEN). */
export const EDITOR_TOKEN = 'e'.repeat(8) + '0123456789abcdef0123456789abcdef';
/** The viewer's token in `usersFile()`. */
export const VIEWER_TOKEN = 'v'.repeat(8) + '0123456789abcdef0123456789abcdef';

/** A user of a users file (`--users`). */
export interface TestUser {
  username: string;
  token: string;
  role: 'owner' | 'editor' | 'viewer';
}

/** The owner (TOKEN), editor and viewer of the multi-user tests. */
export const ANA: TestUser = { username: 'ana', token: TOKEN, role: 'owner' };
export const EVE: TestUser = { username: 'eve', token: EDITOR_TOKEN, role: 'editor' };
export const VIC: TestUser = { username: 'vic', token: VIEWER_TOKEN, role: 'viewer' };

/** Writes a users file of `users` (default: ANA, EVE and VIC) in a temp dir; returns its path. */
export function usersFile(users: TestUser[] = [ANA, EVE, VIC]): string {
  const file = path.join(tempDir(), 'users.json');
  fs.writeFileSync(file, JSON.stringify({ users }));
  return file;
}

const createdDirs: string[] = [];

// Each spec file gets its own copy of this module, so this removes that file's temp dirs.
afterAll(() => {
  for (const dir of createdDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A seeded PRNG (mulberry32): the same seed gives the same sequence, so a failing seed replays. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh temp directory, removed after the spec file's tests. */
export function tempDir(prefix = 'opsbook-test-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  createdDirs.push(dir);
  return dir;
}

/** A minimal built app: index.html with the page config placeholder. */
export function fakeAppDir(): string {
  const dir = tempDir('opsbook-app-');
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><html><head><script id="jupyter-config-data" type="application/json">__OPSBOOK_PAGE_CONFIG__</script></head><body></body></html>\n'
  );
  return dir;
}

/** A running server plus what tests need to talk to it. */
export interface TestServer {
  server: OpsbookServer;
  base: string;
  port: number;
  token: string;
  notebookDir: string;
  appDir: string;
  logs: { level: LogLevel; line: string }[];
  request: (method: string, rawPath: string, options?: RequestOptions) => Promise<TestResponse>;
  close: () => Promise<void>;
}

/** Options of a test request. */
export interface RequestOptions {
  /** Token sent as `Authorization: token <t>`; null sends none. Default: TOKEN. */
  token?: string | null;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string | Buffer;
}

/** A buffered response. */
export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

/** Starts a server on 127.0.0.1:0 with temp dirs; `overrides` replace any config field. */
export async function startServer(
  overrides: Partial<ServerConfigInput> = {},
  deps: ServerDeps = {}
): Promise<TestServer> {
  const notebookDir = overrides.notebookDir ?? tempDir('opsbook-nb-');
  const appDir = overrides.appDir ?? fakeAppDir();
  const logs: { level: LogLevel; line: string }[] = [];
  const server = createServer(
    {
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      logLevel: 'debug',
      ...overrides,
      notebookDir,
      appDir
    },
    { logSink: (level, line) => logs.push({ level, line }), ...deps }
  );
  const info = await server.listen();
  const base = `http://127.0.0.1:${info.port}`;
  return {
    server,
    base,
    port: info.port,
    token: info.token,
    notebookDir,
    appDir,
    logs,
    request: (method, rawPath, options) => request(info.port, method, rawPath, options),
    close: () => server.close()
  };
}

/** Sends one request with the path exactly as given. */
export function request(
  port: number,
  method: string,
  rawPath: string,
  options: RequestOptions = {}
): Promise<TestResponse> {
  const token = options.token === undefined ? TOKEN : options.token;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (token !== null) {
    headers.Authorization = `token ${token}`;
  }
  let payload: Buffer | undefined;
  if (options.rawBody !== undefined) {
    payload = Buffer.from(options.rawBody);
  } else if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers['Content-Type'] = 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text,
          json: () => JSON.parse(text)
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A notebook with one code cell. */
export function notebook(source = 'print(1)'): Record<string, unknown> {
  return {
    cells: [
      { cell_type: 'code', execution_count: null, id: 'c1', metadata: {}, outputs: [], source }
    ],
    metadata: { kernelspec: { name: 'duckdb', display_name: 'DuckDB' } },
    nbformat: 4,
    nbformat_minor: 5
  };
}
