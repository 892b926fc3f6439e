/**
 * Driving the real app in Chromium for the benchmarks, on top of ui-tests/harness.ts.
 *
 * Timing is taken inside the page, not by polling from Node (the harness's `runActiveCell` polls
 * every 100 ms, too coarse for warm queries of a few tens of milliseconds):
 * - t0 is the `mousedown` on the notebook toolbar's Run button (JupyterLab runs the command on
 *   mouse down), i.e. "clicking Run";
 * - a requestAnimationFrame loop records the first frame in which the new result table (and the
 *   chart) is in the cell's DOM, i.e. "the result shown".
 * The kernel's own figure (`elapsedMs`: plan + load + execute, in the engine) is read from the
 * table output's metadata (`metadata.opsbook.elapsedMs`).
 *
 * Notebooks are shared documents saved by the server as they change, so every browser session
 * opens its own copy (no outputs or cells left by an earlier session) after `resetWorkspaces`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { harness } from './harness.mjs';
import { log, ROOT } from './util.mjs';

/** The toolbar button that runs the active cell (run-and-advance, like Shift+Enter). */
const RUN_BUTTON =
  '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar [data-command="notebook:run-cell-and-select-next"]';

/** Added to every benchmark page before any script: keep every resource timing entry. */
function initScript() {
  performance.setResourceTimingBufferSize(100000);
}

/** A new browser context (empty HTTP cache, fresh renderer) with one page, via the harness. */
export async function freshPage(browser) {
  const recorded = await harness.openPage(browser);
  await recorded.page.addInitScript(initScript);
  return recorded;
}

/** Where screenshots of failed opens go (under the ignored build/). */
const FAILURES = path.join(ROOT, 'build', 'bench-data', 'failures');

/**
 * Opens a notebook with the harness and waits for its kernel (and so DuckDB-WASM) to be idle.
 * When that fails, saves a screenshot and rethrows with what the page showed.
 */
export async function openNotebook(page, server, name) {
  try {
    await harness.openNotebook(page, server, name);
  } catch (error) {
    fs.mkdirSync(FAILURES, { recursive: true });
    const shot = path.join(
      FAILURES,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}.png`
    );
    await page.screenshot({ path: shot }).catch(() => undefined);
    const seen = await page
      .evaluate(() => ({
        panels: document.querySelectorAll('.jp-NotebookPanel').length,
        cells: document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length,
        dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.textContent?.slice(0, 200))
      }))
      .catch(() => null);
    throw new Error(
      `opening ${name} failed (${String(error.message).split('\n')[0]}); page: ${JSON.stringify(seen)}; ` +
        `screenshot: ${shot}; server log tail: ${server.log.join('').slice(-500)}`
    );
  }
}

/** Runs `attempt(k)` and, if it throws, logs why and tries once more (k = 0, then 1). */
export async function withRetry(what, attempt) {
  try {
    return await attempt(0);
  } catch (error) {
    log(`${what} failed, retrying once: ${String(error.message).slice(0, 600)}`);
    return attempt(1);
  }
}

/**
 * Clicks Run on cell `index` of the current notebook and waits for its result. Returns times in
 * ms: `wallMs` click -> table shown, `chartMs` click -> chart drawn (null without a chart),
 * `elapsedMs` as the kernel reported it, plus `scans`, `summary`, `error`, and `clickAt` /
 * `tableAt` (page clock, ms since navigation start).
 */
export async function runCellTimed(page, index, timeout = 240_000) {
  await page.evaluate(index => {
    const panel = window.jupyterapp.shell.currentWidget;
    const notebook = panel.content;
    notebook.activeCellIndex = index;
    notebook.mode = 'command';
    const cell = notebook.widgets[index];
    for (const node of cell.node.querySelectorAll(
      '.jp-opsbook-Table, .jp-opsbook-Chart, .jp-OutputArea-output'
    )) {
      node.dataset.benchOld = '1';
    }
    const state = {
      t0: null,
      tableAt: null,
      chartAt: null,
      errorAt: null,
      doneAt: null,
      finished: false
    };
    window.__benchRun = state;
    document.addEventListener('mousedown', e => (state.t0 = e.timeStamp), {
      capture: true,
      once: true
    });
    const hasChartOutput = () =>
      cell.model.outputs.toJSON().some(o => o.data && 'application/vnd.vegalite.v5+json' in o.data);
    const tick = () => {
      const now = performance.now();
      if (state.t0 !== null) {
        const fresh = sel => cell.node.querySelector(`${sel}:not([data-bench-old])`);
        if (state.tableAt === null && fresh('.jp-opsbook-Table')) {
          state.tableAt = now;
        }
        if (
          state.chartAt === null &&
          cell.node.querySelector(
            '.jp-opsbook-Chart:not([data-bench-old]) svg .mark-group, .jp-opsbook-Chart:not([data-bench-old]) canvas'
          )
        ) {
          state.chartAt = now;
        }
        if (
          state.errorAt === null &&
          fresh('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        ) {
          state.errorAt = now;
        }
        const prompt = cell.node.querySelector('.jp-InputPrompt')?.textContent ?? '';
        if (
          state.doneAt === null &&
          (state.tableAt !== null || state.errorAt !== null) &&
          cell.model.executionCount !== null &&
          !prompt.includes('*')
        ) {
          state.doneAt = now;
        }
        if (
          state.doneAt !== null &&
          (state.chartAt !== null ||
            state.errorAt !== null ||
            !hasChartOutput() ||
            now - state.doneAt > 5000)
        ) {
          state.finished = true;
          return;
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, index);
  await page.click(RUN_BUTTON);
  await page.waitForFunction(() => window.__benchRun.finished, undefined, { timeout, polling: 50 });
  return page.evaluate(index => {
    const state = window.__benchRun;
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
    const outputs = cell.model.outputs.toJSON();
    const result = outputs.find(o => o.output_type === 'execute_result');
    const meta = result?.metadata?.opsbook ?? {};
    const error = outputs.find(o => o.output_type === 'error');
    return {
      wallMs: state.tableAt !== null ? state.tableAt - state.t0 : NaN,
      chartMs: state.chartAt !== null ? state.chartAt - state.t0 : null,
      elapsedMs: meta.elapsedMs ?? NaN,
      scans: meta.scans ?? [],
      summary: meta.summary ?? null,
      totalRows: result?.data?.['application/vnd.opsbook.table.v1+json']?.totalRows ?? null,
      error: error ? `${error.ename}: ${error.evalue}` : null,
      clickAt: state.t0,
      tableAt: state.tableAt
    };
  }, index);
}

/** Resource timing entries of the Arrow slices the page fetched (page clock, ms). */
export async function arrowFetches(page) {
  return page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter(e => /\/api\/datasets\/[^/]+\/arrow\?/.test(e.name))
      .map(e => ({
        url: e.name.replace(/^https?:\/\/[^/]+/, ''),
        startTime: e.startTime,
        requestStart: e.requestStart,
        responseStart: e.responseStart,
        responseEnd: e.responseEnd,
        bytes: e.encodedBodySize
      }))
  );
}

/** Shuts the current notebook's kernel down (terminating its DuckDB worker) and closes it. */
export async function closeNotebook(page) {
  await page.evaluate(async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.sessionContext.shutdown();
    panel.context.model.dirty = false;
    panel.dispose();
  });
}

/**
 * Forgets the JupyterLab layouts the server saved (`<notebookDir>/.opsbook/workspaces`), so a new
 * browser session opens only the notebook it asks for instead of also restoring the notebooks of
 * the previous session (each with its own kernel and DuckDB-WASM worker).
 */
export function resetWorkspaces(server) {
  fs.rmSync(path.join(server.notebookDir, '.opsbook', 'workspaces'), {
    recursive: true,
    force: true
  });
}

/** Writes notebooks into a fresh directory for a server to serve. */
export function notebookDir(root, name) {
  const dir = path.join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
