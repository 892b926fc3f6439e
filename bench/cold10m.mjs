/**
 * Part 3: the cold first result on a big dataset (--cold-spans, 10M by default): a fresh browser,
 * the notebook open and its kernel idle with nothing loaded, then Run clicked; measured until the
 * result table is shown, with the peak browser memory (see lib/memory.mjs) over the run.
 *
 * Queries: the first example query (p95 latency per service, 10-minute buckets, 12:00-18:00) and a
 * whole-day one (errors and spans per service over all 24 h, no time filter).
 *
 * Where the time goes, from the page's Resource Timing of the Arrow fetch (page clock):
 *   click -> request sent (planning), request -> first byte (server), first byte -> last byte
 *   (streaming the slice), last byte -> table shown (insert into DuckDB-WASM, execute, render);
 * a warm re-run of the same cell (execute + render only) splits the last piece. In Node, the
 * server's route is taken apart (lib/server-pieces.mjs) and the same bytes are inserted into
 * DuckDB-WASM and queried, next to native DuckDB (one thread) on the Parquet file.
 */
import { harness, startBenchServer } from './lib/harness.mjs';
import {
  arrowFetches,
  freshPage,
  notebookDir,
  openNotebook,
  resetWorkspaces,
  runCellTimed,
  withRetry
} from './lib/browser.mjs';
import { ensureDataset } from './lib/data.mjs';
import {
  bareNodeWasmEngine,
  createParquetViews,
  nativeConnection,
  timedNative
} from './lib/engines.mjs';
import { chromiumMemory, startSampler, wasmMemory } from './lib/memory.mjs';
import { exampleQueries, writeNotebook } from './lib/notebooks.mjs';
import { routePieces, timedFetch } from './lib/server-pieces.mjs';
import { log, mb, median, ms, table } from './lib/util.mjs';

/** The whole-day query: every span of the day, grouped by service. */
export const WHOLE_DAY_SQL = `SELECT service_name,
       count(*) FILTER (WHERE status_code = 'error') AS errors,
       count(*) AS spans
FROM spans
GROUP BY ALL
ORDER BY errors DESC`;

async function browserRun(server, notebook) {
  resetWorkspaces(server);
  const browser = await harness.launchBrowser();
  try {
    const { page } = await freshPage(browser);
    await openNotebook(page, server, notebook);
    const workers = page.workers().filter(w => /duckdb/.test(w.url())).length;
    if (workers !== 1) {
      log(`warning: ${workers} DuckDB workers in the page (expected 1: one notebook, one kernel)`);
    }
    const before = { ...chromiumMemory(), wasm: await wasmMemory(page) };
    // Which of Chromium's own memory APIs this page could use instead of /proc (recorded, so the
    // report can say why they are not used).
    const apis = await page.evaluate(() => ({
      crossOriginIsolated: window.crossOriginIsolated,
      measureUserAgentSpecificMemory:
        typeof performance.measureUserAgentSpecificMemory === 'function'
    }));
    const cdp = await browser.newBrowserCDPSession();
    const processInfo = await cdp
      .send('SystemInfo.getProcessInfo')
      .catch(e => ({ error: e.message }));
    apis.processInfoFields = Object.keys(processInfo.processInfo?.[0] ?? processInfo);
    await cdp.detach();
    const sampler = await startSampler(page);
    const cold = await runCellTimed(page, 0, 600_000).finally(() => sampler.stop());
    const peak = await sampler.stop();
    if (cold.error) {
      throw new Error(`${notebook}: ${cold.error}`);
    }
    const wasmAfterCold = await wasmMemory(page);
    const fetches = await arrowFetches(page);
    const warm = [];
    for (let k = 0; k < 3; k++) {
      warm.push(await runCellTimed(page, 0, 600_000));
    }
    // WebAssembly memory only grows, so the largest reading is the peak. Warm re-runs allocate
    // little; reading again after them guards against a stale view right after the cold run.
    const wasm = Math.max(wasmAfterCold ?? 0, (await wasmMemory(page)) ?? 0) || null;
    const f = fetches[0];
    return {
      wallMs: cold.wallMs,
      elapsedMs: cold.elapsedMs,
      rows: cold.totalRows,
      sliceUrl: f?.url.replace(/&\d+$/, ''),
      sliceBytes: fetches.reduce((n, x) => n + x.bytes, 0),
      fetches: fetches.length,
      plan: f ? f.startTime - cold.clickAt : NaN,
      server: f ? f.responseStart - f.requestStart : NaN,
      stream: f ? f.responseEnd - f.responseStart : NaN,
      after: f ? cold.tableAt - f.responseEnd : NaN,
      warmWall: median(warm.map(r => r.wallMs)),
      warmElapsed: median(warm.map(r => r.elapsedMs)),
      before,
      peak,
      wasm,
      apis
    };
  } finally {
    await browser.close();
  }
}

/** Node-side pieces for one slice: server route parts, HTTP fetch, WASM insert and query, native. */
async function nodePieces(server, dataDir, listing, sliceUrl, sql, runs) {
  const pieces = [];
  for (let k = 0; k < runs; k++) {
    pieces.push(await routePieces(sliceUrl, listing, dataDir));
  }
  const fetched = [];
  let body;
  for (let k = 0; k < runs; k++) {
    const f = await timedFetch(server, sliceUrl);
    body = f.body;
    fetched.push(f);
  }
  const inserts = [];
  const queries = [];
  for (let k = 0; k < runs; k++) {
    const engine = await bareNodeWasmEngine();
    try {
      let t0 = performance.now();
      await engine.loadArrow('spans', body);
      inserts.push(performance.now() - t0);
      t0 = performance.now();
      await engine.query(sql);
      queries.push(performance.now() - t0);
    } finally {
      await engine.dispose();
    }
  }
  const native = await nativeConnection(1);
  let nativeMs;
  try {
    await createParquetViews(native.connection, dataDir);
    await timedNative(native.connection, sql);
    const list = [];
    for (let k = 0; k < runs; k++) {
      list.push((await timedNative(native.connection, sql)).ms);
    }
    nativeMs = median(list);
  } finally {
    native.close();
  }
  return {
    serverSql: pieces[0].sql,
    sliceRows: pieces[0].rows,
    scanMs: median(pieces.map(p => p.scanMs)),
    streamMs: median(pieces.map(p => p.streamMs)),
    ttfbMs: median(fetched.map(f => f.ttfbMs)),
    fetchMs: median(fetched.map(f => f.totalMs)),
    bytes: body.length,
    insertMs: median(inserts),
    queryMs: median(queries),
    nativeMs
  };
}

/** Runs part 3; returns `{ markdown, data }`. */
export async function runCold({ coldSpans, seed, coldRuns, tmpRoot }) {
  const { dir: dataDir } = await ensureDataset(coldSpans, seed);
  const first = exampleQueries()[0];
  const queries = [
    {
      key: 'q1',
      title: `${first.key}: ${first.title} (12:00-18:00)`,
      sql: first.sql,
      metadata: first.metadata
    },
    { key: 'day', title: 'whole day: errors and spans per service (24 h)', sql: WHOLE_DAY_SQL }
  ];
  const nbDir = notebookDir(tmpRoot, 'cold');
  const server = await startBenchServer(dataDir, nbDir);
  const results = {};
  try {
    const listing = await (
      await fetch(`${server.url}/api/datasets`, {
        headers: { Authorization: `token ${server.token}` }
      })
    ).json();
    const spans = listing.datasets.find(d => d.name === 'spans');
    for (const q of queries) {
      const runs = [];
      for (let k = 0; k < coldRuns; k++) {
        runs.push(
          await withRetry(`cold ${q.key} ${k + 1}`, attempt => {
            const name = `cold-${q.key}-${k}${attempt ? '-retry' : ''}.ipynb`;
            writeNotebook(nbDir, name, [q]);
            return browserRun(server, name);
          })
        );
        const r = runs.at(-1);
        log(
          `cold ${q.key} ${k + 1}/${coldRuns}: click -> table ${ms(r.wallMs)}, ${mb(r.sliceBytes)} fetched, renderer peak ${mb(r.peak.rendererPeak)}`
        );
      }
      const node = await nodePieces(server, dataDir, spans, runs[0].sliceUrl, q.sql, coldRuns);
      log(
        `cold ${q.key} node pieces: scan ${ms(node.scanMs)}, route ${ms(node.streamMs)}, fetch ${ms(node.fetchMs)}, insert ${ms(node.insertMs)}, query ${ms(node.queryMs)}`
      );
      results[q.key] = { query: q, runs, node };
    }
  } finally {
    await server.stop();
  }

  const med = (key, f) => median(results[key].runs.map(f));
  const apiNote = results[queries[0].key].runs[0].apis;
  const main = table(
    [
      'query',
      'result rows',
      'slice fetched',
      'click → table (cold)',
      'kernel elapsedMs',
      'click → table (warm re-run)',
      'target'
    ],
    queries.map(q => [
      q.title,
      results[q.key].runs[0].rows,
      `${results[q.key].node.sliceRows.toLocaleString('en')} rows, ${mb(results[q.key].runs[0].sliceBytes)}`,
      ms(med(q.key, r => r.wallMs)),
      ms(med(q.key, r => r.elapsedMs)),
      ms(med(q.key, r => r.warmWall)),
      med(q.key, r => r.wallMs) <= 3000
        ? 'met (≤ 3 s)'
        : `missed (${(med(q.key, r => r.wallMs) / 3000).toFixed(1)}× 3 s)`
    ])
  );
  const memory = table(
    [
      'query',
      'renderer peak RSS (VmHWM)',
      'renderer RSS before Run',
      'all Chromium processes, peak RSS sum',
      'DuckDB-WASM memory before → after',
      'page JS heap peak'
    ],
    queries.map(q => {
      const r = results[q.key].runs;
      return [
        q.key,
        mb(median(r.map(x => x.peak.rendererPeak))),
        mb(median(r.map(x => x.before.renderer))),
        mb(median(r.map(x => x.peak.total))),
        `${mb(median(r.map(x => x.before.wasm)))} → ${mb(median(r.map(x => x.wasm)))}`,
        mb(median(r.map(x => x.peak.jsHeap)))
      ];
    })
  );
  const browserSplit = table(
    [
      'query',
      'click → request sent',
      'request → first byte',
      'first → last byte',
      'last byte → table shown',
      'of which execute + render (warm re-run)',
      '⇒ insert into DuckDB-WASM (≈)'
    ],
    queries.map(q => [
      q.key,
      ms(med(q.key, r => r.plan)),
      ms(med(q.key, r => r.server)),
      ms(med(q.key, r => r.stream)),
      ms(med(q.key, r => r.after)),
      ms(med(q.key, r => r.warmWall)),
      ms(med(q.key, r => r.after - r.warmWall))
    ])
  );
  const nodeSplit = table(
    [
      'query',
      'server: DuckDB scan only (2 threads)',
      'server: route total without socket (scan + to Arrow + IPC)',
      'HTTP fetch from Node (first byte / all)',
      'DuckDB-WASM (Node): insert',
      'DuckDB-WASM (Node): query',
      'native DuckDB on Parquet (1 thread)'
    ],
    queries.map(q => {
      const n = results[q.key].node;
      return [
        q.key,
        ms(n.scanMs),
        ms(n.streamMs),
        `${ms(n.ttfbMs)} / ${ms(n.fetchMs)}`,
        ms(n.insertMs),
        ms(n.queryMs),
        ms(n.nativeMs)
      ];
    })
  );
  const markdown = [
    `### 3. Cold first result on ${coldSpans.toLocaleString('en')} spans (medians of ${coldRuns} fresh browsers)`,
    '',
    main,
    '',
    '**Peak browser memory during the cold run** (the renderer process holds the page and the DuckDB-WASM worker)',
    '',
    memory,
    '',
    '**Where the time goes, in the browser** (Resource Timing of the Arrow fetch; the slice is fetched once per query)',
    '',
    browserSplit,
    '',
    '**The same pieces measured separately in Node** (server code in-process; same slice bytes; medians)',
    '',
    nodeSplit,
    '',
    `Memory APIs in the app page: crossOriginIsolated = ${apiNote.crossOriginIsolated}, ` +
      `performance.measureUserAgentSpecificMemory ${apiNote.measureUserAgentSpecificMemory ? 'available' : 'not available (it needs a cross-origin-isolated page)'}; ` +
      `CDP SystemInfo.getProcessInfo gives only {${apiNote.processInfoFields.join(', ')}} per process (no memory). ` +
      'Hence resident memory from /proc, the main-thread JS heap from CDP Performance.getMetrics, and the WebAssembly memory read in the DuckDB worker.',
    '',
    'Slices requested: ' +
      queries.map(q => `\`${q.key}\`: \`${results[q.key].runs[0].sliceUrl}\``).join('; ')
  ].join('\n');
  return { markdown, data: results };
}
