/**
 * Runs in the bench page (bench/coi/index.html). `window.runBuild(options)` starts one DuckDB-WASM
 * build in a worker, sets its thread count, and for each query loads that query's Arrow slices
 * (fetched from the bench server, the same bytes the app would get) into in-memory tables, then
 * times the query: one discarded run, then `runs` timed ones. Times are `performance.now()`
 * around `conn.query()` (the worker executes; the result comes back as Arrow).
 */
import * as duckdb from '@duckdb/duckdb-wasm';

const DIST = '/node_modules/@duckdb/duckdb-wasm/dist';

const BUNDLES = {
  eh: {
    mainModule: `${DIST}/duckdb-eh.wasm`,
    mainWorker: `${DIST}/duckdb-browser-eh.worker.js`,
    pthreadWorker: null
  },
  coi: {
    mainModule: `${DIST}/duckdb-coi.wasm`,
    mainWorker: `${DIST}/duckdb-browser-coi.worker.js`,
    pthreadWorker: `${DIST}/duckdb-browser-coi.pthread.worker.js`
  }
};

/** Pause between opening a database and changing its thread count (see the comment below). */
const SETTLE_MS = 1000;

const median = values => {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

async function scalar(conn, sql) {
  const t = await conn.query(sql);
  return t.getChildAt(0)?.get(0);
}

/** What the page is doing, so the driver can say where a build hung. */
const stage = text => {
  window.benchStage = text;
  console.log(`bench: ${text}`);
};

/** Runs `sql` the way DuckDBEngine._execute does; returns how many polls it took. */
async function pendingQuery(db, connId, sql) {
  let polls = 0;
  let header = await db.startPendingQuery(connId, sql, false);
  while (header === null) {
    polls++;
    header = await db.pollPendingQuery(connId);
  }
  for (;;) {
    const chunk = await db.fetchQueryResults(connId);
    if (chunk === null) {
      continue;
    }
    if (chunk.length === 0) {
      break;
    }
  }
  return polls;
}

window.runBuild = async ({ build, threads, runs, queries }) => {
  const bundle = BUNDLES[build];
  stage(`instantiating ${build}`);
  const worker = new Worker(bundle.mainWorker);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  const t0 = performance.now();
  await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
  await db.open({ query: { castBigIntToDouble: false, castDecimalToDouble: true } });
  const instantiateMs = performance.now() - t0;
  const conn = await db.connect();
  const connId = conn.useUnsafe((_, id) => id);
  const out = {
    build,
    requestedThreads: threads,
    crossOriginIsolated: window.crossOriginIsolated,
    version: await db.getVersion(),
    instantiateMs,
    queries: {}
  };
  try {
    let threadsError = null;
    try {
      // DuckDB-WASM 1.32.0's coi build never answers a `SET threads` sent right after `open()`
      // (seen in Chromium 156: immediately -> hangs, after 200 ms or more -> fine), presumably
      // while its pthread workers are still starting. Give them a second.
      await conn.query('SELECT 1');
      await new Promise(resolve => setTimeout(resolve, SETTLE_MS));
      stage(`SET threads = ${threads}`);
      await conn.query(`SET threads = ${threads}`);
    } catch (error) {
      threadsError = String(error.message ?? error);
    }
    out.threadsError = threadsError;
    out.threads = String(await scalar(conn, "SELECT current_setting('threads')"));
    for (const q of queries) {
      let insertMs = 0;
      for (const slice of q.slices) {
        stage(`${q.key}: inserting ${slice.dataset}`);
        const bytes = new Uint8Array(await (await fetch(slice.url)).arrayBuffer());
        await conn.query(`DROP TABLE IF EXISTS "${slice.dataset}"`);
        const t = performance.now();
        await conn.insertArrowFromIPCStream(bytes, { name: slice.dataset, create: true });
        insertMs += performance.now() - t;
      }
      stage(`${q.key}: first run`);
      await conn.query(q.sql);
      stage(`${q.key}: timed runs`);
      const times = [];
      let rows = 0;
      for (let k = 0; k < runs; k++) {
        const t = performance.now();
        const result = await conn.query(q.sql);
        times.push(performance.now() - t);
        rows = result.numRows;
      }
      // The app's engine does not call `conn.query`: it plans with EXPLAIN, then runs the
      // statement as a pending query, polling the worker until done, and fetches the Arrow chunks
      // (DuckDBEngine._plan / _execute). Time that path too, to separate its overhead.
      const plan = [];
      const pending = [];
      let polls = 0;
      for (let k = 0; k < runs; k++) {
        let t = performance.now();
        await conn.query(`EXPLAIN (FORMAT json) ${q.sql}`);
        plan.push(performance.now() - t);
        t = performance.now();
        polls = await pendingQuery(db, connId, q.sql);
        pending.push(performance.now() - t);
      }
      out.queries[q.key] = {
        insertMs,
        ms: median(times),
        times,
        rows,
        planMs: median(plan),
        pendingMs: median(pending),
        polls
      };
      for (const slice of q.slices) {
        await conn.query(`DROP TABLE IF EXISTS "${slice.dataset}"`);
      }
    }
  } finally {
    await conn.close();
    await db.terminate();
  }
  return out;
};

document.getElementById('status').textContent =
  `ready; crossOriginIsolated=${window.crossOriginIsolated}`;
window.benchReady = true;
