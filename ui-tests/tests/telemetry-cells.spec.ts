/**
 * Issue #2, end to end in Chromium: the example notebook runs, every telemetry cell shows a chart
 * and a table with the right number of rows, a new telemetry cell runs, the chart choice survives
 * save and reload, a SQL error is reported in its cell, and no request leaves the machine.
 * Issue #4: the notebook reads its data through catalog snapshots, as after `npm start`: the
 * generated (canonical) files are ingested into a catalog store the server serves.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TELEMETRY_MACROS } from '../../packages/query-engine/lib/macros';
import type { Browser, Page } from 'playwright-core';
import {
  command,
  copyExampleStore,
  EXAMPLE_TABLES,
  externalRequests,
  launchBrowser,
  openNotebook,
  openPage,
  runActiveCell,
  screenshot,
  startServer,
  UI_DATA_DIR,
  waitForKernelIdle,
  waitForRunsToFinish,
  type RecordedPage,
  type ServerHandle
} from '../harness';

const NOTEBOOK = 'checkout-incident.ipynb';

interface CellState {
  id: string;
  telemetry: boolean;
  marks: number;
  mark: string | null;
  tableRows: number | null;
  totalRows: number | null;
  error: string;
}

/** Reads every cell's rendered state, scrolling each into view so lazy parts render. */
async function cellStates(page: Page): Promise<CellState[]> {
  const count = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.content.widgets.length
  );
  const states: CellState[] = [];
  for (let i = 0; i < count; i++) {
    await page.evaluate(i => {
      const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[i];
      cell.node.scrollIntoView({ block: 'center' });
    }, i);
    await page.waitForTimeout(150);
    states.push(
      await page.evaluate(i => {
        const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[i];
        const node: HTMLElement = cell.node;
        const table = node.querySelector<HTMLElement>('.jp-opsbook-Table');
        const chart = node.querySelector<HTMLElement>('.jp-opsbook-Chart');
        return {
          id: cell.model.id,
          telemetry: node.classList.contains('jp-opsbook-TelemetryCell'),
          marks: node.querySelectorAll('.jp-opsbook-Chart svg g[class*="mark-"] path').length,
          mark: chart?.dataset.mark ?? null,
          tableRows: table ? Number(table.dataset.rows) : null,
          totalRows: table ? Number(table.dataset.totalRows) : null,
          error:
            node.querySelector(
              '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
            )?.textContent ?? ''
        };
      }, i)
    );
  }
  return states;
}

/**
 * The row count each example cell must show, computed by native DuckDB (with the browser's
 * macros) on the generated Parquet files the catalog's snapshots were ingested from.
 */
async function expectedRowCounts(): Promise<Map<string, number>> {
  const notebook = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'examples', NOTEBOOK), 'utf8')
  );
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const statement of TELEMETRY_MACROS) {
    await connection.run(statement);
  }
  for (const table of EXAMPLE_TABLES) {
    await connection.run(
      `CREATE VIEW ${table} AS SELECT * FROM read_parquet('${path.join(UI_DATA_DIR, `${table}.parquet`)}')`
    );
  }
  const counts = new Map<string, number>();
  for (const cell of notebook.cells) {
    if (cell.metadata?.opsbook?.kind === 'telemetry') {
      const sql = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`);
      counts.set(cell.id, Number(reader.getRowObjects()[0].n));
    }
  }
  connection.closeSync();
  return counts;
}

describe('telemetry cells in the app', () => {
  let server: ServerHandle;
  let browser: Browser;
  let recorded: RecordedPage;

  beforeAll(async () => {
    server = await startServer({ store: copyExampleStore() });
    browser = await launchBrowser();
    recorded = await openPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('serves the example tables from catalog snapshots', async () => {
    const response = await fetch(`${server.url}/api/datasets`, {
      headers: { Authorization: `token ${server.token}` }
    });
    const listing = (await response.json()) as {
      datasets: { name: string; snapshotId?: string; file: string }[];
    };
    for (const table of EXAMPLE_TABLES) {
      const entry = listing.datasets.find(d => d.name === table);
      expect({
        table,
        file: entry?.file,
        snapshot: /^[0-9a-f]{64}$/.test(entry?.snapshotId ?? '')
      }).toEqual({
        table,
        file: `catalog:default/${table}`,
        snapshot: true
      });
    }
  });

  it('runs the example notebook: every telemetry cell shows a chart and a table with the expected rows', async () => {
    const { page } = recorded;
    await openNotebook(page, server, NOTEBOOK);
    await screenshot(page, '01-opened');
    await command(page, 'notebook:run-all-cells');
    await waitForRunsToFinish(page);
    const expected = await expectedRowCounts();
    const states = await cellStates(page);
    const telemetry = states.filter(s => s.telemetry);
    expect(telemetry.map(s => s.id).sort()).toEqual([...expected.keys()].sort());
    for (const state of telemetry) {
      expect({ id: state.id, error: state.error }).toEqual({ id: state.id, error: '' });
      const rows = expected.get(state.id)!;
      expect(rows).toBeGreaterThan(0);
      expect({ id: state.id, total: state.totalRows, shown: state.tableRows }).toEqual({
        id: state.id,
        total: rows,
        shown: Math.min(rows, 1000)
      });
      if (state.mark !== 'table') {
        expect({ id: state.id, hasMarks: state.marks > 0 }).toEqual({
          id: state.id,
          hasMarks: true
        });
      }
    }
    // The charts the notebook's results call for: lines over time, bars per category, an area.
    const marks = Object.fromEntries(telemetry.map(s => [s.id, s.mark]));
    expect(marks).toMatchObject({
      'latency-p95': 'line',
      'error-rate': 'line',
      'slowest-ops': 'bar',
      'errors-by-endpoint': 'bar',
      'log-volume': 'area'
    });
    await page.evaluate(() =>
      (window as any).jupyterapp.shell.currentWidget.content.widgets[2].node.scrollIntoView()
    );
    await screenshot(page, '02-run-all');
    const endpoints = telemetry.findIndex(s => s.id === 'errors-by-endpoint');
    await page.evaluate(
      i => (window as any).jupyterapp.shell.currentWidget.content.widgets[i].node.scrollIntoView(),
      states.findIndex(s => s.id === telemetry[endpoints].id)
    );
    await screenshot(page, '02b-errors-by-endpoint');
  });

  it('adds a telemetry cell, runs typed SQL, and shows the result', async () => {
    const { page } = recorded;
    await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
    });
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.keyboard.type(
      "SELECT service_name, count(*) AS spans FROM spans WHERE status_code = 'error' GROUP BY ALL ORDER BY spans DESC"
    );
    const id = await runActiveCell(page);
    const added = (await cellStates(page)).find(s => s.id === id)!;
    expect(added.telemetry).toBe(true);
    expect({ error: added.error, mark: added.mark }).toEqual({ error: '', mark: 'bar' });
    expect(added.marks).toBeGreaterThan(0);
    expect(added.totalRows).toBeGreaterThan(0);
    await screenshot(page, '03-new-cell');
  });

  it('changes the chart type, saves, and keeps outputs and the choice after a reload', async () => {
    const { page } = recorded;
    const cell = page
      .locator('.jp-opsbook-TelemetryCell', {
        has: page.locator('.jp-opsbook-Chart[data-mark="bar"]')
      })
      .last();
    await cell.scrollIntoViewIfNeeded();
    await cell.locator('select[name="mark"]').selectOption('point');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.jp-opsbook-Chart')].some(
        c => (c as HTMLElement).dataset.mark === 'point'
      )
    );
    await command(page, 'docmanager:save');
    await page.waitForFunction(
      () => !(window as any).jupyterapp.shell.currentWidget.context.model.dirty
    );
    const saved = JSON.parse(fs.readFileSync(path.join(server.notebookDir, NOTEBOOK), 'utf8'));
    // The last telemetry cell (Shift+Enter added an empty code cell after it).
    const savedCell = saved.cells
      .filter((c: { metadata: { opsbook?: unknown } }) => c.metadata.opsbook)
      .at(-1);
    expect(savedCell.metadata.opsbook.chart.mark).toBe('point');
    expect(savedCell.outputs[0].data['application/vnd.vegalite.v5+json'].mark.type).toBe('point');

    await page.reload();
    await page.waitForSelector('body[data-opsbook-ready]', { state: 'attached' });
    await waitForKernelIdle(page);
    const states = await cellStates(page);
    const telemetry = states.filter(s => s.telemetry);
    expect(telemetry.at(-1)!.mark).toBe('point');
    expect(telemetry.at(-1)!.marks).toBeGreaterThan(0);
    expect(telemetry.find(s => s.id === 'latency-p95')!.marks).toBeGreaterThan(0);
    await screenshot(page, '04-after-reload');
  });

  it("shows DuckDB's error with its position in the cell, and the notebook keeps working", async () => {
    const { page } = recorded;
    await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
    });
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.keyboard.type('SELECT service_name, no_such_column FROM spans');
    const failed = await runActiveCell(page);
    const error = (await cellStates(page)).find(s => s.id === failed)!.error;
    expect(error).toContain('Binder Error');
    expect(error).toContain('no_such_column');
    expect(error).toContain('line 1, column 22');
    await screenshot(page, '05-sql-error');
    // The next cell still runs.
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.keyboard.type('SELECT 1 AS ok');
    const ok = await runActiveCell(page);
    expect((await cellStates(page)).find(s => s.id === ok)!.totalRows).toBe(1);
  });

  it('completes table and column names of the datasets with Tab', async () => {
    const { page } = recorded;
    const accept = async (item: string) => {
      await page.keyboard.press('Tab');
      await page.locator('.jp-Completer .jp-Completer-item', { hasText: item }).first().waitFor();
      await page.keyboard.press('Enter');
    };
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.keyboard.type('SELECT severity_t');
    await accept('severity_text');
    await page.keyboard.type(' FROM lo');
    await accept('logs');
    const source = await page.evaluate(
      () =>
        (
          window as any
        ).jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource() as string
    );
    expect(source).toBe('SELECT severity_text FROM logs');
  });

  it('interrupts a running query from the toolbar: the kernel is busy, then the query is cancelled', async () => {
    const { page } = recorded;
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.keyboard.type('SELECT count(*) FROM range(20000000000) t(x) WHERE x % 7 = 3');
    const running = runActiveCell(page);
    await page.waitForFunction(
      () =>
        (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.status ===
        'busy'
    );
    await page.waitForTimeout(500);
    await page.click('.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]');
    const id = await running;
    const state = (await cellStates(page)).find(s => s.id === id)!;
    expect(state.error).toContain('Query cancelled');
    await waitForKernelIdle(page);
  });

  it('sent no request beyond the local server', () => {
    expect(recorded.requests.length).toBeGreaterThan(10);
    expect(externalRequests(recorded.requests, server)).toEqual([]);
  });
});
