/**
 * Issue #5 part 2, per-cell history in Chromium: a telemetry cell of the example notebook is
 * run with two different queries; the Cell History panel shows both runs and the versions the
 * server recorded, diffs the two runs (source lines, and the results replayed on their pinned
 * snapshots: schema and row changes), and restores the first version, which changes the cell
 * back and adds a `restore` version.
 */
import type { Page } from 'playwright-core';
import {
  command,
  EXAMPLE_NOTEBOOK,
  openNotebook,
  runAndRecord,
  screenshot,
  useAnaApp
} from '../harness';

const NOTEBOOK = EXAMPLE_NOTEBOOK;
const CELL = 'slowest-ops';
const FIRST = [
  'SELECT service_name, count(*) AS calls',
  'FROM spans',
  "WHERE kind = 'server'",
  'GROUP BY 1',
  'ORDER BY 1'
].join('\n');
const SECOND = [
  'SELECT service_name, count(*) AS calls,',
  '       round(avg(duration_ns) / 1e6, 1) AS avg_ms',
  'FROM spans',
  "WHERE kind = 'server' AND status_code = 'error'",
  'GROUP BY 1',
  'ORDER BY 1'
].join('\n');

/** Makes the cell the active one and sets its source. */
async function setSource(page: Page, source: string): Promise<void> {
  await page.evaluate(
    ([id, source]) => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const index = notebook.widgets.findIndex((c: any) => c.model.id === id);
      notebook.activeCellIndex = index;
      notebook.widgets[index].model.sharedModel.setSource(source);
    },
    [CELL, source] as const
  );
}

const entries = (page: Page) => page.locator('.jp-opsbook-History-entry');

describe('per-cell history in the app', () => {
  const app = useAnaApp();
  const api = app.api;

  it('shows the runs and versions of a cell run with two queries', async () => {
    const { page } = app.recorded;
    await openNotebook(page, app.server, NOTEBOOK);
    await command(page, 'opsbook:show-cell-history');
    await setSource(page, FIRST);
    await runAndRecord(page);
    await setSource(page, SECOND);
    await runAndRecord(page);

    const history = await api(`/api/opsbook/history?notebook=${NOTEBOOK}&cell=${CELL}`);
    expect(history.runs).toHaveLength(2);
    expect(history.versions.map((v: any) => v.record.kind)).toEqual(['save', 'run', 'run']);
    expect(history.versions.map((v: any) => v.record.source)).toEqual([
      expect.stringContaining('p99_ms'),
      FIRST,
      SECOND
    ]);
    expect(history.versions[1].record.authors).toEqual(['ana']);

    // Newest first: run 2, version 3, run 1, version 2, the baseline.
    await page.waitForFunction(
      () => document.querySelectorAll('.jp-opsbook-History-entry').length === 5,
      undefined,
      { timeout: 30_000 }
    );
    const kinds = await entries(page).evaluateAll(nodes =>
      nodes.map(n => n.querySelector('.jp-opsbook-History-kind')?.textContent)
    );
    expect(kinds).toEqual(['ran', 'run', 'ran', 'run', 'save']);
    await screenshot(page, 'history-01-timeline');
  });

  it('diffs the two runs: source lines and the replayed results', async () => {
    const { page } = app.recorded;
    const runs = page.locator('.jp-opsbook-History-entry.jp-mod-run');
    await runs.nth(0).locator('.jp-opsbook-History-select').check();
    await runs.nth(1).locator('.jp-opsbook-History-select').check();
    const diff = page.locator('.jp-opsbook-History-diff');
    await diff.waitFor();
    const added = await diff.locator('.jp-opsbook-History-line.jp-mod-added').allTextContents();
    const removed = await diff.locator('.jp-opsbook-History-line.jp-mod-removed').allTextContents();
    expect(added).toEqual(
      expect.arrayContaining([
        "+ WHERE kind = 'server' AND status_code = 'error'",
        '+        round(avg(duration_ns) / 1e6, 1) AS avg_ms'
      ])
    );
    expect(removed).toEqual(expect.arrayContaining(["- WHERE kind = 'server'"]));
    const summary = diff.locator('.jp-opsbook-History-summary');
    await summary.waitFor({ timeout: 120_000 });
    expect(await summary.textContent()).toMatch(/\d+ added, \d+ removed, [1-9]\d* changed/);
    expect(await summary.textContent()).toContain('rows matched on service_name');
    expect(await diff.locator('.jp-opsbook-History-schema').textContent()).toContain(
      '+ column avg_ms'
    );
    await screenshot(page, 'history-02-diff');
  });

  it('restores the first version: the cell changes back and a restore version appears', async () => {
    const { page } = app.recorded;
    const first = page.locator('.jp-opsbook-History-entry.jp-mod-version').nth(1);
    expect(await first.locator('.jp-opsbook-History-seq').textContent()).toMatch(/^#\d+$/);
    await first.locator('.jp-opsbook-History-restore').click();
    await page.locator('.jp-Dialog .jp-mod-warn').click();
    await page.waitForFunction(
      ([id, source]) => {
        const notebook = (window as any).jupyterapp.shell.currentWidget.content;
        return (
          notebook.widgets.find((c: any) => c.model.id === id)?.model.sharedModel.getSource() ===
          source
        );
      },
      [CELL, FIRST] as const,
      { timeout: 30_000 }
    );
    const restore = page.locator('.jp-opsbook-History-entry[data-kind="restore"]');
    await restore.waitFor({ timeout: 30_000 });
    expect(await restore.locator('.jp-opsbook-History-facts').textContent()).toMatch(
      /restored from #\d+/
    );
    const history = await api(`/api/opsbook/history?notebook=${NOTEBOOK}&cell=${CELL}`);
    expect(history.versions.map((v: any) => v.record.kind)).toEqual([
      'save',
      'run',
      'run',
      'restore'
    ]);
    expect(history.versions[3].record.source).toBe(FIRST);
    await screenshot(page, 'history-03-restored');
  });
});
