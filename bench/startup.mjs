/**
 * Part 2: from page load (navigation start) to the first telemetry result, and the app's size.
 *
 * Each sample is a new browser context (empty HTTP cache, new renderer) opening the example
 * notebook through the harness, then clicking Run on its first telemetry cell as soon as the
 * kernel is idle. Marks are taken in the page (ms since navigation start, rAF resolution):
 * app ready (`body[data-opsbook-ready]`), notebook cells shown, kernel idle (DuckDB-WASM
 * instantiated, datasets listed), result table shown. The first sample runs right after the
 * server started, so it also pays the server's one-off gzip of the app files (cached afterwards);
 * it is reported on its own and left out of the medians.
 *
 * Sizes: gzip (zlib level 6, what the server sends) of every .js and .css in build/app, the
 * DuckDB .wasm on its own, and what the page and its worker actually downloaded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
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
import { bareNodeWasmEngine, httpOptions } from './lib/engines.mjs';
import { copyExample, EXAMPLE } from './lib/notebooks.mjs';
import { log, mb, median, ms, ROOT, table } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const { httpDatasetSource, listDatasets } = require(
  path.join(ROOT, 'packages', 'query-engine', 'lib', 'index.js')
);

/** Records, in the page, when the app, the notebook and its kernel became ready. */
function marksScript() {
  const marks = (window.__benchMarks = {});
  const tick = () => {
    const now = performance.now();
    if (marks.appReady === undefined && document.body?.dataset.opsbookReady) {
      marks.appReady = now;
    }
    if (marks.cellsShown === undefined && document.querySelector('.jp-NotebookPanel .jp-Cell')) {
      marks.cellsShown = now;
    }
    const panel = window.jupyterapp?.shell.currentWidget;
    const kernel = panel?.sessionContext?.session?.kernel;
    if (
      marks.kernelIdle === undefined &&
      kernel?.status === 'idle' &&
      panel.sessionContext.kernelDisplayStatus === 'idle'
    ) {
      marks.kernelIdle = now;
    }
    if (marks.kernelIdle === undefined) {
      requestAnimationFrame(tick);
    }
  };
  requestAnimationFrame(tick);
}

/** Sizes of the built app. */
function bundleSizes() {
  const dir = path.join(ROOT, 'build', 'app');
  const files = [];
  const walk = d => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else {
        files.push(full);
      }
    }
  };
  walk(dir);
  const sum = list =>
    list.reduce(
      (acc, f) => {
        const raw = fs.readFileSync(f);
        acc.raw += raw.length;
        const t0 = performance.now();
        acc.gzip += zlib.gzipSync(raw).length;
        acc.gzipMs += performance.now() - t0;
        acc.count++;
        return acc;
      },
      { raw: 0, gzip: 0, gzipMs: 0, count: 0 }
    );
  const isWorker = f => /duckdb-browser-.*worker/.test(path.basename(f));
  return {
    jsCss: sum(files.filter(f => /\.(js|css)$/.test(f) && !isWorker(f))),
    worker: sum(files.filter(f => /\.js$/.test(f) && isWorker(f))),
    wasm: sum(files.filter(f => f.endsWith('.wasm')))
  };
}

/** Counts what a browser context downloads, by kind, including the DuckDB worker's requests. */
function recordDownloads(context) {
  const pending = [];
  const onFinished = request => {
    pending.push(
      request.sizes().then(
        // Served from the HTTP cache: Playwright reports negative sizes; nothing was downloaded.
        sizes => ({
          url: request.url(),
          body: Math.max(0, sizes.responseBodySize),
          headers: Math.max(0, sizes.responseHeadersSize)
        }),
        () => null
      )
    );
  };
  context.on('requestfinished', onFinished);
  return async () => {
    context.off('requestfinished', onFinished);
    const kinds = {};
    for (const r of (await Promise.all(pending)).filter(Boolean)) {
      const name = r.url.split('?')[0];
      const kind = /\.wasm$/.test(name)
        ? 'wasm'
        : /\.js$/.test(name)
          ? 'js'
          : /\.css$/.test(name)
            ? 'css'
            : /\/arrow$/.test(name)
              ? 'arrow (data)'
              : 'other (html, json, fonts, ...)';
      const k = (kinds[kind] ??= { count: 0, bytes: 0 });
      k.count += r.body > 0 ? 1 : 0;
      k.bytes += r.body + r.headers;
    }
    return kinds;
  };
}

/**
 * One sample: `page` opens the notebook and runs its first telemetry cell. Resolves with the
 * marks (ms since navigation start) and what was downloaded.
 */
async function sample(page, server, notebook, telemetryIndex) {
  const downloads = recordDownloads(page.context());
  await page.addInitScript(marksScript);
  await openNotebook(page, server, notebook);
  const result = await runCellTimed(page, telemetryIndex);
  if (result.error) {
    throw new Error(`first telemetry cell failed: ${result.error}`);
  }
  const marks = await page.evaluate(() => window.__benchMarks);
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
  });
  const sizes = await downloads();
  // Playwright reports the streamed Arrow fetch as failed (net::ERR_ABORTED) although its body
  // was read whole, so its size comes from the page's Resource Timing instead.
  delete sizes['arrow (data)'];
  const slices = await arrowFetches(page);
  if (slices.length) {
    sizes['arrow (data)'] = {
      count: slices.length,
      bytes: slices.reduce((n, f) => n + f.bytes, 0)
    };
  }
  return {
    ...marks,
    ...nav,
    click: result.clickAt,
    resultShown: result.tableAt,
    kernelMs: result.elapsedMs,
    sizes
  };
}

/**
 * Returning visits: a persistent profile (disk HTTP cache, as a user's browser has; Playwright's
 * ordinary contexts keep an in-memory cache that does not hold the 7.7 MB gzip of the .wasm), a
 * first visit to fill it, then `runs` visits, each in a new tab after the previous one closed.
 */
async function returningVisits(server, notebook, telemetryIndex, runs, tmpRoot) {
  const userDataDir = fs.mkdtempSync(path.join(tmpRoot, 'profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: harness.CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 }
  });
  const out = [];
  try {
    for (let k = 0; k <= runs; k++) {
      const s = await withRetry(`startup ${k}, returning visit`, async () => {
        resetWorkspaces(server);
        const page = await context.newPage();
        try {
          await page.addInitScript(() => performance.setResourceTimingBufferSize(100000));
          return await sample(page, server, notebook(), telemetryIndex);
        } finally {
          await page.close();
        }
      });
      if (k > 0) {
        out.push(s);
        log(`startup ${k}, returning visit: navigation -> result ${ms(s.resultShown)}`);
      }
    }
  } finally {
    await context.close();
  }
  return out;
}

/**
 * Reference for the kernel's start-up, in Node: DuckDB-WASM (eh) instantiated and opened with the
 * engine's lock-down (`createNodeEngine`), then the server's datasets listed and registered.
 */
async function nodeEngineStartup(server, runs) {
  const create = [];
  const register = [];
  for (let k = 0; k < runs; k++) {
    let t0 = performance.now();
    const engine = await bareNodeWasmEngine();
    create.push(performance.now() - t0);
    try {
      t0 = performance.now();
      const options = httpOptions(server);
      for (const listing of (await listDatasets(options)).filter(d => !d.error)) {
        await engine.registerDataset(httpDatasetSource(listing, options));
      }
      register.push(performance.now() - t0);
    } finally {
      await engine.dispose();
    }
  }
  return { createMs: median(create), registerMs: median(register) };
}

/** Runs part 2; returns `{ markdown, data }`. */
export async function runStartup({ spans, seed, runs, tmpRoot }) {
  const { dir: dataDir } = await ensureDataset(spans, seed);
  const nbDir = notebookDir(tmpRoot, 'startup');
  // One copy per sample: the server saves outputs into the shared notebook, and a copy that had
  // run would open with results already rendered.
  let copies = 0;
  const notebook = () => copyExample(nbDir, `checkout-incident-${copies++}.ipynb`);
  const nb = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const telemetryIndex = nb.cells.findIndex(c => c.metadata?.opsbook?.kind === 'telemetry');
  const server = await startBenchServer(dataDir, nbDir);
  const browser = await harness.launchBrowser();
  const samples = [];
  const revisits = [];
  let nodeStart;
  try {
    for (let k = 0; k <= runs; k++) {
      samples.push(
        await withRetry(`startup ${k}`, async () => {
          resetWorkspaces(server);
          const { page } = await freshPage(browser);
          try {
            return await sample(page, server, notebook(), telemetryIndex);
          } finally {
            await page.context().close();
          }
        })
      );
      log(
        `startup ${k === 0 ? '(server cold)' : k}: navigation -> result ${ms(samples.at(-1).resultShown)}`
      );
    }
    revisits.push(...(await returningVisits(server, notebook, telemetryIndex, runs, tmpRoot)));
    nodeStart = await nodeEngineStartup(server, runs);
  } finally {
    await browser.close();
    await server.stop();
  }
  const sizes = bundleSizes();
  const keys = [
    ['domContentLoaded', 'DOMContentLoaded'],
    ['load', 'load event'],
    ['appReady', 'app ready (plugins activated)'],
    ['cellsShown', 'notebook cells shown'],
    ['kernelIdle', 'kernel idle (DuckDB-WASM up, datasets listed)'],
    ['click', 'Run clicked'],
    ['resultShown', 'first result table shown']
  ];
  const warm = samples.slice(1);
  const timeline = table(
    [
      'milestone (ms since navigation start)',
      `empty cache: median of ${warm.length}`,
      'returning visit (disk cache warm)',
      'first load after server start'
    ],
    keys.map(([key, label]) => [
      label,
      ms(median(warm.map(s => s[key]))),
      ms(median(revisits.map(s => s[key]))),
      ms(samples[0][key])
    ])
  );
  const parts = table(
    ['of which', 'median'],
    [
      ['navigation → kernel idle', ms(median(warm.map(s => s.kernelIdle)))],
      [
        'click → result shown (first query, fetches its slice)',
        ms(median(warm.map(s => s.resultShown - s.click)))
      ],
      ['  kernel elapsedMs of that run', ms(median(warm.map(s => s.kernelMs)))],
      [
        'notebook cells shown → kernel idle (empty cache / returning visit)',
        `${ms(median(warm.map(s => s.kernelIdle - s.cellsShown)))} / ${ms(median(revisits.map(s => s.kernelIdle - s.cellsShown)))}`
      ],
      [
        'reference, in Node: createNodeEngine() (instantiate + open + lock-down)',
        ms(nodeStart.createMs)
      ],
      ['reference, in Node: list + register the 4 datasets', ms(nodeStart.registerMs)]
    ]
  );
  const kinds = Object.keys(warm[0].sizes).sort();
  const wire = table(
    [
      'downloaded until the first result (page and worker)',
      'requests',
      'bytes on the wire, empty cache',
      'returning visit'
    ],
    kinds.map(k => [
      k,
      warm[0].sizes[k].count,
      mb(warm[0].sizes[k].bytes),
      `${revisits[0]?.sizes[k]?.count ?? 0} req, ${mb(revisits[0]?.sizes[k]?.bytes ?? 0)}`
    ])
  );
  const disk = table(
    [
      'build/app',
      'files',
      'raw',
      'gzip (level 6)',
      'time to gzip here (the server does it once per file, then caches it)'
    ],
    [
      [
        'all .js + .css (app, without the DuckDB worker)',
        sizes.jsCss.count,
        mb(sizes.jsCss.raw),
        mb(sizes.jsCss.gzip),
        ms(sizes.jsCss.gzipMs)
      ],
      [
        'DuckDB-WASM worker .js',
        sizes.worker.count,
        mb(sizes.worker.raw),
        mb(sizes.worker.gzip),
        ms(sizes.worker.gzipMs)
      ],
      [
        'DuckDB .wasm',
        sizes.wasm.count,
        mb(sizes.wasm.raw),
        mb(sizes.wasm.gzip),
        ms(sizes.wasm.gzipMs)
      ]
    ]
  );
  const markdown = [
    `### 2. Page load to first telemetry result (example notebook, ${spans.toLocaleString('en')} spans)`,
    '',
    'Each sample: a new browser context (empty cache) opening a fresh copy of examples/checkout-incident.ipynb (`/lab/tree/...`), Run clicked on its first telemetry cell when the kernel is idle. Returning visits: a persistent profile whose disk cache holds the app from an earlier visit.',
    '',
    timeline,
    '',
    parts,
    '',
    '**App size**',
    '',
    disk,
    '',
    wire
  ].join('\n');
  return { markdown, data: { samples, revisits, sizes, nodeStart } };
}
