/**
 * Child-process entry of the collaboration benchmark: runs ONE collaboration server and answers
 * the parent's requests over the IPC channel. Both servers run in the same kind of process with
 * the same flags, so their memory and CPU numbers compare directly.
 *
 *   node --expose-gc bench/lib/collab-server.mjs ours '{"notebookDir":..., ...config}'
 *       Opsbook's server (`createServer` from packages/server/lib), loopback, port 0.
 *   node --expose-gc bench/lib/collab-server.mjs ref '{}'
 *       the reference: @y/websocket-server's `setupWSConnection` on a `ws` server, in memory
 *       (no YPERSISTENCE), room name = URL path.
 *
 * IPC: the child first sends `{ready: {port, token}}`; then every `{id, cmd, arg}` is answered
 * with `{id, result}` or `{id, error}`. Commands: `mem` (two full GCs, then process.memoryUsage),
 * `docSize` (ref: encoded size of a room's document), `profileStart`/`profileStop` (V8 CPU
 * profile of this process, summarised to self time per function and file), `loopStart`/`loopStop`
 * (event-loop delay histogram: how long the server was unable to react), `concatProbe` (see
 * collab-probe.mjs), `close`.
 */
import * as http from 'node:http';
import * as inspector from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { concatFastPath, concatProbe } from './collab-probe.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const [kind, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}');

let closeServer = async () => {};
let docSize = () => null;
let ready;

if (kind === 'ours') {
  const require = createRequire(import.meta.url);
  const { createServer } = require(path.join(repo, 'packages', 'server', 'lib', 'index.js'));
  const server = createServer({ host: '127.0.0.1', port: 0, logLevel: 'warn', ...options });
  ready = await server.listen();
  closeServer = () => server.close();
} else if (kind === 'ref') {
  const { WebSocketServer } = await import('ws');
  const Y = await import('yjs');
  const { setupWSConnection, docs } = await import('@y/websocket-server/utils');
  const httpServer = http.createServer((_req, res) => res.end('okay'));
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', setupWSConnection);
  httpServer.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, ws => wss.emit('connection', ws, req))
  );
  await new Promise(resolve => httpServer.listen(0, '127.0.0.1', resolve));
  ready = { port: httpServer.address().port, token: '' };
  docSize = name => {
    const doc = docs.get(name);
    return doc ? Y.encodeStateAsUpdate(doc).length : null;
  };
  closeServer = async () => {
    for (const ws of wss.clients) {
      ws.terminate();
    }
    wss.close();
    await new Promise(resolve => httpServer.close(resolve));
  };
} else {
  throw new Error(`usage: collab-server.mjs ours|ref '<json options>' (got ${kind})`);
}

const session = new inspector.Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result)))
  );

/** Self time per function (top 25) and per file, from a V8 CPU profile. */
function summarise(profile) {
  const dt = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    dt.set(samples[i], (dt.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  }
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const parent = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parent.set(child, node.id);
    }
  }
  const fileOf = cf =>
    cf.url ? cf.url.replace(/^file:\/\//, '').replace(repo + '/', '') : '(native)';
  const nameOf = cf => `${cf.functionName || '(anonymous)'} ${fileOf(cf)}:${cf.lineNumber + 1}`;
  /** The nearest caller outside yjs/lib0/node internals: whose code asked for this work. */
  const callerOf = id => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const cf = byId.get(p).callFrame;
      const file = fileOf(cf);
      if (
        !/node_modules\/(yjs|lib0)\/|^node:|^\(native\)$|^$/.test(file) &&
        cf.functionName !== '(root)'
      ) {
        return nameOf(cf);
      }
    }
    return '(root)';
  };
  const byFn = new Map();
  const byFile = new Map();
  const callers = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    if (us === 0) {
      continue;
    }
    const caller = callerOf(node.id);
    if (caller.includes('bench/lib/collab-server.mjs')) {
      // The profiler's own work (inspector dispatch of Profiler.stop): not the server's.
      continue;
    }
    total += us;
    const fn = nameOf(node.callFrame);
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(fileOf(node.callFrame), (byFile.get(fileOf(node.callFrame)) ?? 0) + us);
    const c = callers.get(fn) ?? new Map();
    c.set(caller, (c.get(caller) ?? 0) + us);
    callers.set(fn, c);
  }
  const top = m =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  const functions = top(byFn).map(f => ({
    ...f,
    callers: top(callers.get(f.name)).slice(0, 2)
  }));
  return { totalMs: total / 1000, functions, files: top(byFile) };
}

let loop = null;

const commands = {
  concatProbe: async () => ({ ms: concatProbe(), fastPath: concatFastPath() }),
  loopStart: async () => {
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    return true;
  },
  loopStop: async () => {
    loop.disable();
    const ms = ns => ns / 1e6;
    return { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) };
  },
  mem: async () => {
    for (let i = 0; i < 3; i++) {
      global.gc();
      await new Promise(r => setImmediate(r));
    }
    return process.memoryUsage();
  },
  docSize: async name => docSize(name),
  profileStart: async () => {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
    return true;
  },
  profileStop: async () => summarise((await post('Profiler.stop')).profile),
  close: async () => {
    await closeServer();
    return true;
  }
};

process.on('message', async ({ id, cmd, arg }) => {
  try {
    process.send({ id, result: await commands[cmd](arg) });
  } catch (err) {
    process.send({ id, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: { port: ready.port, token: ready.token } });
