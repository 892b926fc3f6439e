/**
 * Part 1: the example queries (telemetry cells of examples/checkout-incident.ipynb) on the
 * `--spans` dataset (1M by default), on four engines measured in the same run:
 *
 *   (a) DuckDB-WASM in Chromium, driving the real app: a one-cell notebook per query, Run clicked
 *       on the toolbar; the kernel's `elapsedMs` (plan + load + execute in the engine) and the
 *       wall time click -> result table shown. The first run of a fresh kernel fetches the Arrow
 *       slice from the server; the warm runs that follow query the tables already in DuckDB-WASM.
 *       Each first-run sample is a fresh kernel (its own DuckDB-WASM worker) in one page, after a
 *       warm-up notebook has loaded the page's lazy chunks (chart rendering).
 *   (b) DuckDB-WASM in Node (`createNodeEngine` + `httpDatasetSource` on the same server): same
 *       loading path, no browser; its progress phases split the first run into plan / fetch /
 *       insert / execute.
 *   (c) native DuckDB, one thread, on views over the Parquet files, and on in-memory tables holding
 *       exactly the slice WASM loaded (same columns and time bounds): the fair reference for warm
 *       WASM runs, which query in-memory tables too.
 */
import * as os from 'node:os';
import { harness, startBenchServer } from './lib/harness.mjs';
import {
  closeNotebook,
  freshPage,
  notebookDir,
  openNotebook,
  resetWorkspaces,
  runCellTimed,
  withRetry
} from './lib/browser.mjs';
import { ensureDataset } from './lib/data.mjs';
import {
  createParquetViews,
  createSliceTables,
  nativeConnection,
  nodeWasmEngine,
  timedEngineQuery,
  timedNative
} from './lib/engines.mjs';
import { exampleQueries, writeNotebook } from './lib/notebooks.mjs';
import { log, mb, median, ms, ratio, table } from './lib/util.mjs';

/** Opens a notebook in the current page through the app (no reload) and waits for its kernel. */
async function openInPage(page, name) {
  await page.evaluate(async name => {
    await window.jupyterapp.commands.execute('docmanager:open', { path: name });
    return null; // the widget itself cannot be serialised back to Node
  }, name);
  await page.waitForFunction(
    name => window.jupyterapp.shell.currentWidget?.context?.path === name,
    name,
    { timeout: 60_000 }
  );
  await page.waitForSelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell', { timeout: 60_000 });
  await harness.waitForKernelIdle(page);
}

async function chromiumRuns(server, queries, runs, nbDir) {
  const browser = await harness.launchBrowser();
  const out = {};
  try {
    resetWorkspaces(server);
    const { page, errors } = await freshPage(browser);
    // Warm-up: loads the app and its lazy chunks (vega for charts) once, so every sample below
    // differs only by DuckDB-WASM's state.
    await openNotebook(page, server, 'warmup.ipynb');
    await runCellTimed(page, 0);
    await closeNotebook(page);
    for (const q of queries) {
      const first = [];
      let warm = [];
      for (let k = 0; k < runs; k++) {
        await withRetry(`opening ${q.key}-${k}`, async attempt => {
          if (attempt) {
            await closeNotebook(page).catch(() => undefined);
          }
          const name = `${q.key}-${k}${attempt ? '-retry' : ''}.ipynb`;
          writeNotebook(nbDir, name, [q]);
          await openInPage(page, name);
        });
        const r = await runCellTimed(page, 0);
        if (r.error) {
          throw new Error(`${q.key} failed in Chromium: ${r.error}`);
        }
        first.push(r);
        if (k === runs - 1) {
          for (let w = 0; w < runs; w++) {
            warm.push(await runCellTimed(page, 0));
          }
        }
        await closeNotebook(page);
      }
      out[q.key] = { first, warm };
      log(
        `chromium ${q.key}: first ${ms(median(first.map(r => r.elapsedMs)))}, warm ${ms(median(warm.map(r => r.elapsedMs)))}`
      );
    }
    const unexpected = errors.filter(e => !/status of 404/.test(e));
    if (unexpected.length) {
      log(`page errors: ${unexpected.join(' | ')}`);
    }
  } finally {
    await browser.close();
  }
  return out;
}

async function nodeRuns(server, queries, runs) {
  const out = {};
  for (const q of queries) {
    const first = [];
    const warm = [];
    for (let k = 0; k < runs; k++) {
      const { engine, fetches } = await nodeWasmEngine(server);
      try {
        first.push(await timedEngineQuery(engine, fetches, q.sql));
        if (k === runs - 1) {
          for (let w = 0; w < runs; w++) {
            warm.push(await timedEngineQuery(engine, fetches, q.sql));
          }
        }
      } finally {
        await engine.dispose();
      }
    }
    out[q.key] = { first, warm };
    log(
      `node wasm ${q.key}: first ${ms(median(first.map(r => r.elapsedMs)))}, warm ${ms(median(warm.map(r => r.elapsedMs)))}`
    );
  }
  return out;
}

async function nativeRuns(dataDir, queries, scansByQuery, runs) {
  const out = {};
  const parquet = await nativeConnection(1);
  const memory = await nativeConnection(1);
  try {
    await createParquetViews(parquet.connection, dataDir);
    for (const q of queries) {
      const sample = async connection => {
        await timedNative(connection, q.sql); // discarded: first touch of the data
        const list = [];
        for (let k = 0; k < runs; k++) {
          list.push(await timedNative(connection, q.sql));
        }
        return list;
      };
      const onParquet = await sample(parquet.connection);
      const sliceRows = await createSliceTables(memory.connection, dataDir, scansByQuery[q.key]);
      const inMemory = await sample(memory.connection);
      out[q.key] = { parquet: onParquet, memory: inMemory, sliceRows };
    }
  } finally {
    parquet.close();
    memory.close();
  }
  return out;
}

/** Runs part 1; returns `{ markdown, data }`. */
export async function runQueries({ spans, seed, runs, tmpRoot }) {
  const { dir: dataDir } = await ensureDataset(spans, seed);
  const queries = exampleQueries();
  const nbDir = notebookDir(tmpRoot, 'queries');
  writeNotebook(nbDir, 'warmup.ipynb', [
    { sql: 'SELECT kind, count(*) AS n FROM events GROUP BY ALL' }
  ]);
  const server = await startBenchServer(dataDir, nbDir);
  let chromium;
  let node;
  try {
    log(
      `part 1: ${queries.length} queries, ${runs} runs each, ${spans.toLocaleString('en')} spans`
    );
    node = await nodeRuns(server, queries, runs);
    chromium = await chromiumRuns(server, queries, runs, nbDir);
  } finally {
    await server.stop();
  }
  const scansByQuery = Object.fromEntries(queries.map(q => [q.key, node[q.key].first[0].scans]));
  const native = await nativeRuns(dataDir, queries, scansByQuery, runs);

  const rows = queries.map(q => {
    const c = chromium[q.key];
    const n = node[q.key];
    const x = native[q.key];
    const resultRows = new Set([
      ...c.first.map(r => r.totalRows),
      ...n.first.map(r => r.rows),
      ...x.parquet.map(r => r.rows),
      ...x.memory.map(r => r.rows)
    ]);
    return {
      key: q.key,
      title: q.title,
      resultRows: [...resultRows],
      slice: n.first[0].scans
        .map(s => `${s.table}(${s.columns.length} col${s.start || s.end ? ', time-bounded' : ''})`)
        .join(' '),
      sliceRows: Object.values(x.sliceRows).reduce((a, b) => a + b, 0),
      sliceBytes: median(n.first.map(r => r.bytes)),
      chromiumFirst: median(c.first.map(r => r.elapsedMs)),
      chromiumFirstWall: median(c.first.map(r => r.wallMs)),
      chromiumWarm: median(c.warm.map(r => r.elapsedMs)),
      chromiumWarmWall: median(c.warm.map(r => r.wallMs)),
      nodeFirst: median(n.first.map(r => r.elapsedMs)),
      nodePlan: median(n.first.map(r => r.planMs)),
      nodeFetch: median(n.first.map(r => r.fetchMs)),
      nodeInsert: median(n.first.map(r => r.insertMs)),
      nodeExec: median(n.first.map(r => r.execMs)),
      nodeWarm: median(n.warm.map(r => r.elapsedMs)),
      nodeWarmPlan: median(n.warm.map(r => r.planMs)),
      nativeParquet: median(x.parquet.map(r => r.ms)),
      nativeMemory: median(x.memory.map(r => r.ms))
    };
  });

  const warmTable = table(
    [
      'query',
      'result rows',
      'rows in DuckDB',
      'Chromium: kernel elapsedMs',
      'Chromium: click → table',
      'Node WASM: elapsedMs',
      '(of which planning)',
      'native, in memory',
      'native, Parquet',
      'Chromium / native mem',
      'Node WASM / native mem'
    ],
    rows.map(r => [
      `${r.key} ${r.title}`,
      r.resultRows.join(' ≠ '),
      r.sliceRows.toLocaleString('en'),
      ms(r.chromiumWarm),
      ms(r.chromiumWarmWall),
      ms(r.nodeWarm),
      ms(r.nodeWarmPlan),
      ms(r.nativeMemory),
      ms(r.nativeParquet),
      ratio(r.chromiumWarm, r.nativeMemory),
      ratio(r.nodeWarm, r.nativeMemory)
    ])
  );
  const firstTable = table(
    [
      'query',
      'slice fetched',
      'Arrow bytes',
      'Chromium: kernel elapsedMs',
      'Chromium: click → table',
      'Node WASM: elapsedMs',
      'plan',
      'fetch',
      'insert',
      'execute',
      'native, Parquet',
      'Chromium / native Parquet'
    ],
    rows.map(r => [
      r.key,
      r.slice,
      mb(r.sliceBytes),
      ms(r.chromiumFirst),
      ms(r.chromiumFirstWall),
      ms(r.nodeFirst),
      ms(r.nodePlan),
      ms(r.nodeFetch),
      ms(r.nodeInsert),
      ms(r.nodeExec),
      ms(r.nativeParquet),
      ratio(r.chromiumFirst, r.nativeParquet)
    ])
  );
  const markdown = [
    `### 1. Example queries, ${spans.toLocaleString('en')} spans (medians of ${runs} runs)`,
    '',
    '**Warm: data already in DuckDB** (WASM runs after the first run of the same query in the same kernel; native in memory = a table holding the same slice, native Parquet = views over the files).',
    '',
    warmTable,
    '',
    "**First run: includes fetching the Arrow slice from the server** (each sample a fresh kernel / engine; the Node column split by the engine's progress phases).",
    '',
    firstTable
  ].join('\n');
  return { markdown, data: { rows, cpus: os.cpus().length } };
}
