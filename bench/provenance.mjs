#!/usr/bin/env node
/**
 * Provenance benchmark (issue #5): what recording a run costs next to the query, and how long a
 * replay of the example notebook takes next to its original runs.
 *
 *   node bench/provenance.mjs                           # 10^4, 10^6, 10^7-row results
 *   node bench/provenance.mjs --sizes 10000 --no-wait   # a quick check
 *
 * Options: --sizes LIST (default 10000,1000000,10000000), --runs N (5; 3 for 10^7 rows),
 * --replay-spans N (default 100000: the UI tests' dataset size), --seed S (42), --no-wait.
 *
 * 1. Overhead per run. A query producing N rows of (timestamp, service VARCHAR, duration DOUBLE,
 *    status INTEGER) on DuckDB-WASM in Node (the `eh` build the app runs, one thread), as the
 *    kernel runs it; then what the recorder adds: hashing the FULL result (`ResultHasher`, the
 *    canonical `opsbook.result.v1` hash; with the browser's default SHA-256, WebAssembly from
 *    hash-wasm, with its pure-TS fallback, and with node:crypto's), building the `RunRecord` and
 *    POSTing it to a real server's signed run log.
 *    Medians of --runs samples; the share is (hash + record) / query time.
 * 2. Replay of the example notebook. Every telemetry cell of examples/checkout-incident.ipynb is
 *    run and recorded against a real server on a catalog of the generated example data (as the
 *    app does: slices fetched over HTTP, snapshot ids from the server); then every recorded run is
 *    replayed as `replayRun` does it (`queryPinned` on the recorded snapshots, full hash with the
 *    default SHA-256, the replay POSTed to the server), on a fresh engine (cold: slices fetched
 *    again) and again on the same engine (warm), next to the original runs (cold kernel, and
 *    warm).
 *
 * Also the `provenance` part of `npm run bench` (bench/run.mjs).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataset } from './lib/data.mjs';
import { EXAMPLE, exampleQueries } from './lib/notebooks.mjs';
import { log, machine, median, ms, ROOT, table, waitForQuiet } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const TOKEN = 'bench-provenance-token-0123456789abcdef';
const TABLES = ['spans', 'logs', 'metrics', 'events'];

function libs() {
  const qe = path.join(ROOT, 'packages', 'query-engine', 'lib');
  return {
    ...require(path.join(qe, 'index.js')),
    ...require(path.join(qe, 'node.js')),
    ...require(path.join(ROOT, 'packages', 'provenance', 'lib', 'index.js')),
    createServer: require(path.join(ROOT, 'packages', 'server', 'lib', 'index.js')).createServer
  };
}

/** A real server on 127.0.0.1:0 over `catalogDir`; resolves with it and its API helpers. */
async function startServer(work, catalogDir) {
  const { createServer } = libs();
  fs.mkdirSync(path.join(work, 'notebooks'), { recursive: true });
  const server = createServer({
    notebookDir: path.join(work, 'notebooks'),
    catalogDir,
    port: 0,
    token: TOKEN,
    logLevel: 'error'
  });
  const info = await server.listen();
  const base = `http://127.0.0.1:${info.port}`;
  const post = async (p, body) => {
    const send = () =>
      fetch(`${base}/api/opsbook/${p}`, {
        method: 'POST',
        headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body)
      });
    let response;
    try {
      response = await send();
    } catch (error) {
      // A kept-alive socket the server closed while this thread was busy hashing (the server
      // runs in this process): the request never reached it, so sending it again is safe.
      if (error?.cause?.code !== 'ECONNRESET') {
        throw error;
      }
      response = await send();
    }
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`POST ${p}: HTTP ${response.status} ${text}`);
    }
    return JSON.parse(text);
  };
  const http = {
    datasetsUrl: `${base}/api/datasets`,
    headers: { Authorization: `token ${TOKEN}` }
  };
  return { server, post, http };
}

const resultSql = n =>
  `SELECT TIMESTAMP '2026-11-10 00:00:00' + to_microseconds(i * 8640) AS ts, ` +
  `'service-' || (i % 12) AS service, (i % 9973) * 0.37 AS duration_ms, ` +
  `(200 + (i % 5) * 100)::INTEGER AS status FROM range(${n}) t(i)`;

/** Part 1: overhead per run, per result size. */
async function overhead({ sizes, runs, work }) {
  const { createNodeEngine, hashArrowTable, buildRunRecord, createSha256, loadFastSha256, Sha256 } =
    libs();
  await loadFastSha256();
  // The three SHA-256s a result hash can use: the browser's default (WebAssembly, hash-wasm),
  // its TypeScript fallback, and node:crypto (what the server uses).
  const hashWith = {
    wasm: { createHash: () => createSha256() },
    ts: { createHash: () => new Sha256() },
    native: { createHash: () => createHash('sha256') }
  };
  const { server, post } = await startServer(work, path.join(work, 'catalog-empty'));
  const engine = await createNodeEngine({ settings: { memoryLimit: '3GB', queryTimeoutMs: 0 } });
  const rows = [];
  const data = [];
  try {
    // One untimed pass first: JIT, the run log's SQLite and the instance key are set up once.
    const warmup = await engine.query(resultSql(1000));
    const warmDigest = hashArrowTable(warmup.table, hashWith.wasm);
    hashArrowTable(warmup.table, hashWith.ts);
    hashArrowTable(warmup.table, hashWith.native);
    await post('runs', {
      ...buildRunRecord({
        cell: { id: 'bench-warmup', source: resultSql(1000) },
        query: warmup,
        engine: engine.info,
        digest: warmDigest
      }),
      durationMs: 1
    });
    for (const n of sizes) {
      const samples = { query: [], hashWasm: [], hashTs: [], hashNative: [], record: [], bytes: 0 };
      const count = n >= 1e7 ? Math.min(runs, 3) : runs;
      for (let r = 0; r < count; r++) {
        log(`provenance: ${n.toLocaleString('en')} rows, sample ${r + 1}/${count}`);
        let t0 = performance.now();
        const result = await engine.query(resultSql(n));
        samples.query.push(performance.now() - t0);
        t0 = performance.now();
        const digest = hashArrowTable(result.table, hashWith.wasm);
        samples.hashWasm.push(performance.now() - t0);
        t0 = performance.now();
        const ts = hashArrowTable(result.table, hashWith.ts);
        samples.hashTs.push(performance.now() - t0);
        t0 = performance.now();
        const native = hashArrowTable(result.table, hashWith.native);
        samples.hashNative.push(performance.now() - t0);
        if (native.hash !== digest.hash || ts.hash !== digest.hash) {
          throw new Error('the WebAssembly, TS and node:crypto SHA-256s gave different hashes');
        }
        t0 = performance.now();
        const record = buildRunRecord({
          cell: { id: 'bench-cell', source: resultSql(n) },
          query: result,
          engine: engine.info,
          notebook: { path: 'bench.ipynb', fileId: null },
          digest
        });
        await post('runs', { ...record, durationMs: Math.round(result.elapsedMs) });
        samples.record.push(performance.now() - t0);
        samples.bytes = result.table.batches.reduce((s, b) => s + b.data.byteLength, 0);
      }
      const q = median(samples.query);
      const hw = median(samples.hashWasm);
      const h = median(samples.hashTs);
      const hn = median(samples.hashNative);
      const rec = median(samples.record);
      const pct = x => `${((x / q) * 100).toFixed(0)}%`;
      rows.push([
        n.toLocaleString('en'),
        ms(q),
        ms(hw),
        ms(h),
        ms(hn),
        ms(rec),
        pct(hw + rec),
        pct(h + rec),
        pct(hn + rec),
        `${((n * 4) / (hw / 1000) / 1e6).toFixed(1)} M cells/s`
      ]);
      data.push({
        rows: n,
        samples: count,
        queryMs: q,
        hashWasmMs: hw,
        hashTsMs: h,
        hashNativeMs: hn,
        recordMs: rec
      });
    }
  } finally {
    await engine.dispose();
    await server.close();
  }
  return { rows, data };
}

/** The example data at `spans` and its catalog store (ingested once, as `npm start` does). */
async function exampleCatalog(spans, seed) {
  const { dir } = await ensureDataset(spans, seed);
  const store = `${dir}-catalog`;
  if (!fs.existsSync(path.join(store, '.complete'))) {
    fs.rmSync(store, { recursive: true, force: true });
    for (const t of TABLES) {
      log(`provenance: ingesting ${t} into ${path.relative(ROOT, store)}`);
      execFileSync(
        process.execPath,
        [
          path.join(ROOT, 'packages/server/bin/opsbook.js'),
          'ingest',
          path.join(dir, `${t}.parquet`),
          '--as',
          'parquet',
          '--table',
          t,
          '--dataset',
          'default',
          '--store',
          store
        ],
        { stdio: 'ignore' }
      );
    }
    fs.writeFileSync(path.join(store, '.complete'), '');
  }
  return store;
}

/** Runs every cell on `engine`; resolves with [{cell, result, ms}]. */
async function runCells(engine, cells) {
  const out = [];
  for (const cell of cells) {
    const t0 = performance.now();
    const result = await engine.query(cell.sql);
    out.push({ cell, result, ms: performance.now() - t0 });
  }
  return out;
}

/** Replays `records` in order as `replayRun` does; resolves with the time and the verdicts. */
async function replayAll(engine, records, http, post) {
  const { queryPinned, hashArrowTable } = libs();
  const t0 = performance.now();
  let reproduced = 0;
  for (const record of records) {
    const pins = Object.fromEntries(
      record.inputs.filter(i => i.snapshotId).map(i => [i.table, i.snapshotId])
    );
    const started = performance.now();
    const { hash } = await queryPinned(record.sql, {
      engine,
      http,
      pins,
      hash: table => hashArrowTable(table)
    });
    const view = await post(`runs/${record.runId}/replays`, {
      hash: hash.hash,
      rows: hash.rowCount,
      durationMs: Math.round(performance.now() - started),
      diverged: null
    });
    reproduced += view.reproduced ? 1 : 0;
  }
  return { ms: performance.now() - t0, reproduced };
}

/** Part 2: replay time of the example notebook. */
async function replayExample({ replaySpans, seed, work }) {
  const { createNodeEngine, listDatasets, httpDatasetSource, buildRunRecord } = libs();
  const store = await exampleCatalog(replaySpans, seed);
  const catalog = path.join(work, 'catalog');
  fs.cpSync(store, catalog, { recursive: true });
  const { server, post, http } = await startServer(work, catalog);
  const cells = exampleQueries();
  try {
    const register = async engine => {
      for (const listing of (await listDatasets(http)).filter(d => !d.error)) {
        await engine.registerDataset(httpDatasetSource(listing, http));
      }
    };
    log('provenance: running and recording the example notebook');
    let t0 = performance.now();
    const kernel = await createNodeEngine();
    const kernelStartMs = performance.now() - t0;
    await register(kernel);
    const original = await runCells(kernel, cells);
    const records = [];
    for (const { cell, result } of original) {
      const record = buildRunRecord({
        cell: { id: cell.key, source: cell.sql, metadata: cell.metadata },
        query: result,
        engine: kernel.info,
        notebook: { path: path.basename(EXAMPLE), fileId: null }
      });
      records.push(
        (await post('runs', { ...record, durationMs: Math.round(result.elapsedMs) })).record
      );
    }
    const warmOriginal = await runCells(kernel, cells);
    await kernel.dispose();

    log('provenance: replaying it on a fresh engine, then again warm');
    t0 = performance.now();
    const engine = await createNodeEngine();
    const replayStartMs = performance.now() - t0;
    const cold = await replayAll(engine, records, http, post);
    const warm = await replayAll(engine, records, http, post);
    await engine.dispose();
    const originalMs = original.reduce((s, r) => s + r.ms, 0);
    const warmOriginalMs = warmOriginal.reduce((s, r) => s + r.ms, 0);
    const vs = x => `${(x / originalMs).toFixed(2)}×`;
    const rows = [
      ['original runs (cold kernel: slices fetched)', ms(originalMs), '1.00×', ''],
      ['original runs again (warm kernel)', ms(warmOriginalMs), vs(warmOriginalMs), ''],
      [
        'replay, fresh engine (cold: pinned slices fetched)',
        ms(cold.ms),
        vs(cold.ms),
        `${cold.reproduced}/${records.length}`
      ],
      [
        'replay again, same engine (warm)',
        ms(warm.ms),
        vs(warm.ms),
        `${warm.reproduced}/${records.length}`
      ]
    ];
    return {
      rows,
      cells: cells.length,
      data: {
        spans: replaySpans,
        cells: cells.length,
        originalMs,
        warmOriginalMs,
        replayColdMs: cold.ms,
        replayWarmMs: warm.ms,
        reproducedCold: cold.reproduced,
        reproducedWarm: warm.reproduced,
        engineStartMs: { kernel: kernelStartMs, replay: replayStartMs }
      }
    };
  } finally {
    await server.close();
  }
}

/** Both parts; resolves with `{ markdown, data }` (the shape bench/run.mjs expects). */
export async function runProvenance({
  sizes = [10_000, 1_000_000, 10_000_000],
  runs = 5,
  replaySpans = 100_000,
  seed = 42,
  tmpRoot = os.tmpdir()
} = {}) {
  const work = fs.mkdtempSync(path.join(tmpRoot, 'opsbook-provenance-bench-'));
  try {
    const over = await overhead({ sizes, runs, work: path.join(work, 'overhead') });
    const replay = await replayExample({ replaySpans, seed, work: path.join(work, 'replay') });
    const markdown = [
      '### Provenance overhead per run',
      '',
      'A query returning N rows of (timestamp, service, duration DOUBLE, status INTEGER) on ' +
        'DuckDB-WASM in Node, then what the recorder adds: the canonical hash of the full result ' +
        "(with the browser's default SHA-256, WebAssembly from hash-wasm; its pure-TS fallback; " +
        "and node:crypto), building the run record and POSTing it to the server's signed run " +
        'log. Medians; share = (hash + record) / query.',
      '',
      table(
        [
          'result rows',
          'query',
          'hash (WASM SHA-256, the default)',
          'hash (TS SHA-256)',
          'hash (node:crypto)',
          'record + POST',
          'share (WASM)',
          'share (TS)',
          'share (node:crypto)',
          'hash rate (WASM)'
        ],
        over.rows
      ),
      '',
      `### Replay of the example notebook (${replay.cells} telemetry cells, ` +
        `${replaySpans.toLocaleString('en')} spans)`,
      '',
      table(['', 'time', 'vs original', 'reproduced'], replay.rows, ['l', 'r', 'r', 'r'])
    ].join('\n');
    return { markdown, data: { overhead: over.data, replay: replay.data } };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function parseArgs(argv) {
  const args = {
    sizes: [10_000, 1_000_000, 10_000_000],
    runs: 5,
    replaySpans: 100_000,
    seed: 42,
    wait: true
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    const int = v => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) {
        throw new Error(`${flag} takes positive integers, got ${v}`);
      }
      return n;
    };
    if (flag === '--sizes') {
      args.sizes = value().split(',').map(int);
    } else if (flag === '--runs') {
      args.runs = int(value());
    } else if (flag === '--replay-spans') {
      args.replaySpans = int(value());
    } else if (flag === '--seed') {
      args.seed = int(value());
    } else if (flag === '--no-wait') {
      args.wait = false;
    } else {
      throw new Error(
        `unknown option ${argv[i]} (see the comment at the top of bench/provenance.mjs)`
      );
    }
  }
  return args;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const quiet = args.wait ? await waitForQuiet() : null;
  const m = machine();
  const out = await runProvenance(args);
  console.log(
    [
      `Command: \`${['node bench/provenance.mjs', ...process.argv.slice(2)].join(' ')}\``,
      '',
      `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ` +
        `DuckDB-WASM ${m.duckdbWasm}.` +
        (quiet ? ` CPU in use just before: ${(quiet.busy * 100).toFixed(0)}%.` : ''),
      '',
      out.markdown
    ].join('\n')
  );
  process.exit(0);
}
