/**
 * Pieces of the collaboration benchmark (`bench/collab.mjs`): server child processes, rooms on
 * either server, y-websocket clients holding a YNotebook, test notebooks, statistics and tables.
 *
 * Both servers are driven by the SAME client: y-websocket 1.x's `WebsocketProvider` (ws as the
 * WebSocket, BroadcastChannel off so same-process clients cannot bypass the server) on a
 * `@jupyter/ydoc` YNotebook, as the stock JupyterLab docprovider does. Our server speaks
 * y-websocket framing; the URL is `/api/collaboration/room/<room>?sessionId=..&token=..`.
 */
import { execFileSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { YNotebook } from '@jupyter/ydoc';
import { othersTicks } from './util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);

/** The token of our server in every run (any string of >= 16 characters). */
export const TOKEN = 'bench-collab-token-0123456789abcdef';

/** Node, CPU model, cores and memory of this machine. */
export function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? '?';
  return {
    node: process.version,
    cpu: model,
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`
  };
}

const createdDirs = [];

/** A fresh temporary directory (removed by `removeTempDirs`). */
export function tempDir(prefix) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  createdDirs.push(dir);
  return dir;
}

/** Removes every directory `tempDir` made (call after the servers stopped). */
export function removeTempDirs() {
  for (const dir of createdDirs.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a server child process (see `collab-server.mjs`). `kind` is 'ours' (options: server
 * config; notebookDir required) or 'ref'. Resolves once it listens.
 */
let serverCpus = null;

/**
 * `--pin`: servers on `serverList` (e.g. "0"), this process (the clients) on `clientList` (e.g.
 * "1"), so that clients and server never compete for one core, as when the clients are browsers
 * on other machines. Applies to servers started afterwards.
 */
export function pinProcesses(serverList, clientList) {
  execFileSync('taskset', ['-a', '-p', '-c', clientList, String(process.pid)], { stdio: 'ignore' });
  serverCpus = serverList;
}

export function startServer(kind, options = {}) {
  // With `pinServers(cpus)` in effect, the server runs on those CPUs only (taskset).
  const pinned = serverCpus === null ? {} : { execPath: 'taskset' };
  const child = fork(path.join(here, 'collab-server.mjs'), [kind, JSON.stringify(options)], {
    ...pinned,
    execArgv: [
      ...(serverCpus === null ? [] : ['-c', serverCpus, process.execPath]),
      '--expose-gc',
      // Only for `concatFastPath` (collab-probe.mjs), which asks V8 whether concat is fast.
      '--allow-natives-syntax'
    ],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc']
  });
  const stderr = [];
  const counters = { yjsWarnings: 0 };
  let partial = '';
  child.stderr.on('data', chunk => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      // yjs warns on reading a type before it is in a document (see `bigNotebook`): counted.
      if (line.startsWith('Invalid access: Add Yjs type')) {
        counters.yjsWarnings++;
      } else {
        stderr.push(line);
        process.stderr.write(`[${kind} server] ${line}\n`);
      }
    }
  });
  let nextId = 1;
  const waiting = new Map();
  return new Promise((resolve, reject) => {
    child.on('exit', code => {
      for (const w of waiting.values()) {
        w.reject(new Error(`${kind} server exited (${code}): ${stderr.join('')}`));
      }
      reject(new Error(`${kind} server exited (${code}) before listening: ${stderr.join('')}`));
    });
    child.on('message', msg => {
      if (msg.ready) {
        resolve({
          kind,
          pid: child.pid,
          port: msg.ready.port,
          token: msg.ready.token,
          options,
          stderr,
          counters,
          call(cmd, arg) {
            const id = nextId++;
            child.send({ id, cmd, arg });
            return new Promise((res, rej) => waiting.set(id, { resolve: res, reject: rej }));
          },
          async stop() {
            if (child.exitCode === null) {
              await this.call('close').catch(() => undefined);
              child.disconnect();
              await new Promise(r => (child.exitCode === null ? child.once('exit', r) : r()));
            }
          }
        });
        return;
      }
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) {
        w?.reject(new Error(msg.error));
      } else {
        w?.resolve(msg.result);
      }
    });
  });
}

/**
 * Opens a notebook room on our server: writes `name` into the notebook dir (unless `content` is
 * null) and PUTs the session. Returns where a client connects.
 */
export async function ourRoom(server, name, content) {
  if (content !== null) {
    fs.writeFileSync(path.join(server.options.notebookDir, name), JSON.stringify(content));
  }
  const res = await fetch(
    `http://127.0.0.1:${server.port}/api/collaboration/session/${encodeURIComponent(name)}`,
    {
      method: 'PUT',
      headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 'json', type: 'notebook' })
    }
  );
  if (!res.ok) {
    throw new Error(`PUT session ${name}: ${res.status} ${await res.text()}`);
  }
  const { fileId, sessionId } = await res.json();
  return {
    serverUrl: `ws://127.0.0.1:${server.port}/api/collaboration/room`,
    room: `json:notebook:${fileId}`,
    params: { sessionId, token: TOKEN },
    fileId
  };
}

/** A room on the reference server (created by the first client that connects). */
export function refRoom(server, name) {
  return { serverUrl: `ws://127.0.0.1:${server.port}`, room: name, params: {} };
}

/**
 * A collaborator: a YNotebook synced through a WebsocketProvider. `initial` (an encoded update)
 * is applied before connecting: that is how content reaches the reference server, which has no
 * files.
 */
export class Client {
  constructor(target, initial = null) {
    this.nb = new YNotebook();
    if (initial) {
      Y.applyUpdate(this.nb.ydoc, initial);
    }
    this.provider = new WebsocketProvider(target.serverUrl, target.room, this.nb.ydoc, {
      WebSocketPolyfill: WebSocket,
      params: target.params,
      awareness: this.nb.awareness,
      disableBc: true
    });
    this.closed = null;
    this.provider.on('connection-close', ev => (this.closed ??= ev));
  }

  /** Resolves when the provider synced and `predicate(this)` holds (checked after each transaction). */
  until(predicate = () => true, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.provider.synced && predicate(this)) {
          cleanup();
          resolve(performance.now());
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `client of ${this.provider.url} not ready within ${timeoutMs} ms (synced=${this.provider.synced}, cells=${this.nb.cells.length}, close=${this.closed?.code})`
          )
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.nb.ydoc.off('afterTransaction', check);
        this.provider.off('sync', check);
      };
      this.nb.ydoc.on('afterTransaction', check);
      this.provider.on('sync', check);
      check();
    });
  }

  /** The Y.Text source of cell `i`. */
  source(i = 0) {
    return this.nb.getCell(i).ysource;
  }

  destroy() {
    this.provider.destroy();
    this.nb.dispose();
  }
}

/** A notebook of `n` cells: every third markdown, code cells with a short stream output. */
export function makeNotebook(n) {
  const cells = [];
  for (let i = 0; i < n; i++) {
    if (i % 3 === 2) {
      cells.push({
        cell_type: 'markdown',
        id: `md-${i}`,
        metadata: {},
        source: `## Step ${i}\n\nLatency of service ${i % 17} over the last hour, by region.`
      });
    } else {
      cells.push({
        cell_type: 'code',
        id: `code-${i}`,
        execution_count: i + 1,
        metadata: {},
        source: `df_${i} = query("SELECT region, p99(latency_ms) FROM spans WHERE service = 'svc-${i % 17}' GROUP BY region")\ndf_${i}.head()`,
        outputs: [{ output_type: 'stream', name: 'stdout', text: `rows: ${i * 7}\n` }]
      });
    }
  }
  return {
    cells,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
}

/**
 * The update our server starts a room from for `content` (its own codec, so the reference room
 * holds byte-identical content).
 */
export function initialUpdate(content) {
  const { notebookCodec } = require(
    path.join(REPO, 'packages', 'server', 'lib', 'collaboration', 'codec.js')
  );
  return notebookCodec().initialUpdate(content);
}

/** p-th percentile (nearest rank) of an unsorted array. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Median. */
export const median = values => percentile(values, 50);

/** A markdown table. */
export function table(header, rows) {
  const line = cells => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Formatting helpers. */
export const fmt = {
  ms: v => (v === null || v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1)),
  kb: v => (v / 1024).toFixed(1),
  mb: v => (v / 2 ** 20).toFixed(2),
  ratio: (ours, ref) => (ref > 0 ? `${(ours / ref).toFixed(2)}x` : '-')
};

/** Waits `ms`. */
export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    })
  );
  return out;
}

const TICKS_PER_S = 100;

/**
 * CPU used by processes other than this benchmark and its servers, in cores' worth (1.0 = one
 * core busy): on 2 cores a concurrent build or browser test skews latency, so every part reports it.
 */
export function cpuWatch() {
  let t0 = performance.now();
  let before = othersTicks();
  return {
    /** Cores' worth used by others since the previous call. */
    sample() {
      const after = othersTicks();
      const t1 = performance.now();
      let ticks = 0;
      for (const [pid, t] of after) {
        ticks += t - (before.get(pid) ?? 0);
      }
      const cores = ticks / TICKS_PER_S / ((t1 - t0) / 1000);
      before = after;
      t0 = t1;
      return cores;
    }
  };
}

/**
 * Waits until other processes use under `threshold` cores' worth over 2 s, at most `maxWaitMs`.
 * Returns what it saw.
 */
export async function waitForQuiet(log, { maxWaitMs = 120_000, threshold = 0.15 } = {}) {
  const start = performance.now();
  if (maxWaitMs <= 0) {
    return { busy: NaN, waitedMs: 0, quiet: false };
  }
  for (;;) {
    const w = cpuWatch();
    await sleep(2000);
    const busy = w.sample();
    const waitedMs = performance.now() - start;
    if (busy < threshold) {
      return { busy, waitedMs, quiet: true };
    }
    if (waitedMs > maxWaitMs) {
      log(`machine still busy (other processes: ${busy.toFixed(2)} cores); measuring anyway`);
      return { busy, waitedMs, quiet: false };
    }
    log(`waiting for a quiet machine: other processes use ${busy.toFixed(2)} cores`);
  }
}
