/**
 * Part 4: DuckDB-WASM's cross-origin-isolated threaded build (`duckdb-coi.wasm` with its worker and
 * pthread worker) against the `eh` build the app ships, in Chromium, on the example queries over
 * data already in memory; native DuckDB (1 and 2 threads, in-memory tables of the same slices) is
 * the reference measured in the same run.
 *
 * The app is not cross-origin isolated, so this runs in a standalone page (bench/coi/index.html)
 * served by a small server here with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`. Each query's Arrow slices are the bytes the
 * Opsbook server sends for it (fetched once through `httpDatasetSource` in a Node engine, which
 * also tells which slices the engine's planner asks for). Each build/thread setting runs in a fresh
 * page: load the slices, one discarded run, then `--runs` timed runs.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { harness, startBenchServer } from './lib/harness.mjs';
import { notebookDir } from './lib/browser.mjs';
import { ensureDataset } from './lib/data.mjs';
import {
  createSliceTables,
  nativeConnection,
  nodeWasmEngine,
  timedNative
} from './lib/engines.mjs';
import { exampleQueries } from './lib/notebooks.mjs';
import { log, mb, median, ms, ratio, ROOT, table } from './lib/util.mjs';

const CONFIGS = [
  { build: 'eh', threads: 1, label: 'eh (app build)' },
  { build: 'coi', threads: 1, label: 'coi, 1 thread' },
  { build: 'coi', threads: 2, label: 'coi, 2 threads' }
];

/** How long one build may take for all queries before it is reported as hung. */
const BUILD_TIMEOUT_MS = 120_000;

const TYPES = {
  '.html': 'text/html',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json'
};

/** Serves the bench page, node_modules files it imports, and the slices, cross-origin isolated. */
export function startPageServer(slices) {
  const roots = {
    '/bench/': path.join(ROOT, 'bench', 'coi'),
    '/node_modules/': path.join(ROOT, 'node_modules')
  };
  const server = http.createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store'
    };
    const url = new URL(req.url, 'http://x');
    const send = (status, type, body) => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': body.length });
      res.end(body);
    };
    if (url.pathname === '/favicon.ico') {
      return send(204, 'text/plain', Buffer.alloc(0));
    }
    if (url.pathname === '/') {
      return send(200, 'text/html', fs.readFileSync(path.join(ROOT, 'bench', 'coi', 'index.html')));
    }
    if (url.pathname.startsWith('/slices/')) {
      const bytes = slices.get(url.pathname.slice('/slices/'.length));
      return bytes
        ? send(200, 'application/vnd.apache.arrow.stream', Buffer.from(bytes))
        : send(404, 'text/plain', Buffer.from('no slice'));
    }
    for (const [prefix, dir] of Object.entries(roots)) {
      if (url.pathname.startsWith(prefix)) {
        const file = path.join(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
        if (file.startsWith(dir + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
          return send(
            200,
            TYPES[path.extname(file)] ?? 'application/octet-stream',
            fs.readFileSync(file)
          );
        }
      }
    }
    send(404, 'text/plain', Buffer.from('not found'));
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The slices the engine fetches for each query (the Opsbook server's bytes) and its scans. */
async function collectSlices(server, queries) {
  const slices = new Map();
  const plans = [];
  for (const q of queries) {
    const { engine, fetches } = await nodeWasmEngine(server, { keep: true });
    try {
      const result = await engine.query(q.sql);
      const list = fetches.map((f, i) => {
        const id = `${q.key}-${i}-${f.dataset}`;
        slices.set(id, f.ipc);
        return { dataset: f.dataset, url: `/slices/${id}`, bytes: f.bytes };
      });
      plans.push({ key: q.key, sql: q.sql, slices: list, scans: result.scans });
    } finally {
      await engine.dispose();
    }
  }
  return { slices, plans };
}

/** Runs part 4; returns `{ markdown, data }`. */
export async function runCoi({ spans, seed, runs, tmpRoot }) {
  const { dir: dataDir } = await ensureDataset(spans, seed);
  const queries = exampleQueries();
  const opsbook = await startBenchServer(dataDir, notebookDir(tmpRoot, 'coi'));
  let collected;
  try {
    collected = await collectSlices(opsbook, queries);
  } finally {
    await opsbook.stop();
  }
  const pageServer = await startPageServer(collected.slices);
  const pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;
  const browser = await harness.launchBrowser();
  const wasm = [];
  try {
    for (const config of CONFIGS) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', e => errors.push(String(e)));
      page.on('console', m => m.type() === 'error' && errors.push(m.text()));
      try {
        await page.goto(pageUrl);
        await page.waitForFunction(() => window.benchReady === true, undefined, {
          timeout: 20_000
        });
        const options = {
          build: config.build,
          threads: config.threads,
          runs,
          queries: collected.plans.map(({ key, sql, slices }) => ({ key, sql, slices }))
        };
        // A build that deadlocks never settles `evaluate`: give up after BUILD_TIMEOUT_MS and
        // report where the page was.
        let timer;
        const out = await Promise.race([
          page.evaluate(o => window.runBuild(o), options),
          new Promise((_, reject) => {
            timer = setTimeout(async () => {
              const where = await page.evaluate(() => window.benchStage).catch(() => 'unknown');
              reject(new Error(`no answer after ${BUILD_TIMEOUT_MS / 1000} s, while "${where}"`));
            }, BUILD_TIMEOUT_MS);
          })
        ]).finally(() => clearTimeout(timer));
        wasm.push({ ...config, ...out, errors });
        log(
          `coi part: ${config.label}: crossOriginIsolated=${out.crossOriginIsolated}, threads=${out.threads}${out.threadsError ? ` (SET threads failed: ${out.threadsError})` : ''}`
        );
      } catch (error) {
        wasm.push({ ...config, failed: String(error.message ?? error).split('\n')[0], errors });
        log(`coi part: ${config.label} failed: ${error.message}`);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    pageServer.close();
  }

  const native = {};
  for (const threads of [1, 2]) {
    const { connection, close } = await nativeConnection(threads);
    try {
      for (const plan of collected.plans) {
        await createSliceTables(connection, dataDir, plan.scans);
        await timedNative(connection, plan.sql);
        const list = [];
        for (let k = 0; k < runs; k++) {
          list.push((await timedNative(connection, plan.sql)).ms);
        }
        (native[plan.key] ??= {})[threads] = median(list);
      }
    } finally {
      close();
    }
  }

  const cell = (w, key) => (w.failed ? 'failed' : ms(w.queries[key]?.ms));
  const [eh, coi1, coi2] = wasm;
  const rows = collected.plans.map(p => [
    p.key,
    mb(p.slices.reduce((n, s) => n + s.bytes, 0)),
    ms(native[p.key][1]),
    ms(native[p.key][2]),
    cell(eh, p.key),
    cell(coi1, p.key),
    cell(coi2, p.key),
    ratio(eh.queries?.[p.key]?.ms, native[p.key][1]),
    ratio(coi1.queries?.[p.key]?.ms, native[p.key][1]),
    ratio(coi2.queries?.[p.key]?.ms, native[p.key][1]),
    ratio(coi2.queries?.[p.key]?.ms, eh.queries?.[p.key]?.ms)
  ]);
  const sum = (w, f) =>
    w.failed ? NaN : collected.plans.reduce((n, p) => n + f(w.queries[p.key]), 0);
  const nativeSum = t => collected.plans.reduce((n, p) => n + native[p.key][t], 0);
  rows.push([
    '**all 7**',
    mb(collected.plans.reduce((n, p) => n + p.slices.reduce((m, s) => m + s.bytes, 0), 0)),
    ms(nativeSum(1)),
    ms(nativeSum(2)),
    ms(sum(eh, q => q.ms)),
    ms(sum(coi1, q => q.ms)),
    ms(sum(coi2, q => q.ms)),
    ratio(
      sum(eh, q => q.ms),
      nativeSum(1)
    ),
    ratio(
      sum(coi1, q => q.ms),
      nativeSum(1)
    ),
    ratio(
      sum(coi2, q => q.ms),
      nativeSum(1)
    ),
    ratio(
      sum(coi2, q => q.ms),
      sum(eh, q => q.ms)
    )
  ]);
  const results = table(
    [
      'query',
      'slice',
      'native 1 thread',
      'native 2 threads',
      'WASM eh',
      'WASM coi 1 thread',
      'WASM coi 2 threads',
      'eh / native 1T',
      'coi 1T / native 1T',
      'coi 2T / native 1T',
      'coi 2T / eh'
    ],
    rows
  );
  const setup = table(
    [
      'build',
      'crossOriginIsolated',
      'threads (current_setting)',
      'instantiate + open',
      'insert all slices',
      'errors'
    ],
    wasm.map(w => [
      w.label,
      String(w.crossOriginIsolated ?? 'n/a'),
      w.failed ? 'n/a' : `${w.threads}${w.threadsError ? ` (SET failed: ${w.threadsError})` : ''}`,
      ms(w.instantiateMs),
      ms(sum(w, q => q.insertMs)),
      w.failed ?? (w.errors.length ? w.errors.join('; ').slice(0, 200) : 'none')
    ])
  );
  const enginePath = eh.failed
    ? 'eh build failed: no engine-path figures.'
    : table(
        [
          'query',
          'conn.query',
          'EXPLAIN (FORMAT json) (the planner)',
          "pending query + polls + fetch (the engine's execute)",
          'polls'
        ],
        collected.plans.map(p => {
          const r = eh.queries[p.key];
          return [p.key, ms(r.ms), ms(r.planMs), ms(r.pendingMs), r.polls];
        })
      );
  const markdown = [
    `### 4. DuckDB-WASM builds on data in memory: eh vs cross-origin-isolated threaded (coi), ${spans.toLocaleString('en')} spans (medians of ${runs} runs)`,
    '',
    "Standalone page served with COOP/COEP; each build in a fresh page; the slices are the Opsbook server's Arrow bytes for each query; native = in-memory tables of the same slices.",
    '',
    results,
    '',
    setup,
    '',
    "**The app engine's path in the eh build** (same page, same data: what DuckDBEngine does per query besides the query itself)",
    '',
    enginePath
  ].join('\n');
  return { markdown, data: { wasm: wasm.map(w => ({ ...w, errors: w.errors })), native } };
}
