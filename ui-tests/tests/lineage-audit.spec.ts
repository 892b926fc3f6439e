/**
 * Issue #5, parts 4 and 5, end to end in Chromium: two telemetry cells of the example notebook
 * are run and recorded; the Lineage view draws their snapshots, runs, cells and results, shows a
 * run's SQL on click, and exports W3C PROV-JSON as a download; the Audit Trail view lists the
 * runs as 'run' entries by the user, filters by action and user, and says the chains verify.
 */
import * as fs from 'node:fs';
import type { Page } from 'playwright-core';
import {
  command,
  EXAMPLE_NOTEBOOK,
  openNotebook,
  runAndRecord,
  screenshot,
  selectCell,
  useAnaApp
} from '../harness';

const NOTEBOOK = EXAMPLE_NOTEBOOK;
/** Two cells reading two tables (spans, logs). */
const CELLS = ['latency-p95', 'log-volume'];

describe('the lineage and audit trail views', () => {
  const app = useAnaApp();
  const api = app.api;

  it('says there is nothing yet before any run, then draws snapshots, runs, cells and results', async () => {
    const { page } = app.recorded;
    await openNotebook(page, app.server, NOTEBOOK);
    await command(page, 'opsbook:show-lineage');
    const empty = page.locator('.jp-opsbook-Lineage-empty');
    await empty.waitFor({ timeout: 30_000 });
    await expect(empty.textContent()).resolves.toContain(
      'No runs recorded yet — run a telemetry cell.'
    );

    await page.evaluate(
      nb => (window as any).jupyterapp.shell.activateById(nb),
      await notebookId(page)
    );
    for (const id of CELLS) {
      await selectCell(page, id);
      await runAndRecord(page);
    }
    const { runs } = await api(`/api/opsbook/runs?notebook=${NOTEBOOK}`);
    expect(runs).toHaveLength(2);

    await command(page, 'opsbook:show-lineage');
    const expected = [
      ...runs.flatMap((r: any) => r.record.inputs.map((i: any) => `snapshot:${i.snapshotId}`)),
      ...runs.map((r: any) => `run:${r.record.runId}`),
      ...CELLS.map(c => `cell:${c}`),
      ...runs.map((r: any) => `result:${r.record.result.hash}`)
    ];
    expect(expected).toHaveLength(8);
    for (const id of expected) {
      await page
        .locator(`.jp-opsbook-LineageNode[data-node-id="${id}"]`)
        .waitFor({ timeout: 30_000 });
    }
    const tables = runs.map((r: any) => r.record.inputs.map((i: any) => i.table)).flat();
    expect(tables.sort()).toEqual(['logs', 'spans']);
    await expect(
      page
        .locator(
          '.jp-opsbook-LineageNode[data-node-id="cell:latency-p95"] .jp-opsbook-LineageNode-title'
        )
        .textContent()
    ).resolves.toMatch(/^\[3\] SELECT time_bucket/);
    // Every edge joins two drawn nodes.
    const dangling = await page.evaluate(() => {
      const ids = new Set(
        [...document.querySelectorAll('.jp-opsbook-LineageNode')].map(n =>
          n.getAttribute('data-node-id')
        )
      );
      return [...document.querySelectorAll('.jp-opsbook-LineageEdge')].filter(
        e => !ids.has(e.getAttribute('data-from')) || !ids.has(e.getAttribute('data-to'))
      ).length;
    });
    expect(dangling).toBe(0);
    expect(await page.locator('.jp-opsbook-LineageEdge').count()).toBeGreaterThanOrEqual(6);

    await screenshot(page, 'lineage-01-graph');

    // A click on a run shows its SQL and who ran it, and highlights its cell and result.
    const run = runs[0].record;
    await page.locator(`.jp-opsbook-LineageNode[data-node-id="run:${run.runId}"]`).click();
    const details = page.locator('.jp-opsbook-Lineage-details');
    await expect(details.locator('.jp-opsbook-Lineage-sql').textContent()).resolves.toBe(run.sql);
    await expect(details.textContent()).resolves.toContain(run.runId);
    await expect(details.textContent()).resolves.toContain('ana');
    for (const id of [`cell:${run.cellId}`, `result:${run.result.hash}`]) {
      await expect(
        page.locator(`.jp-opsbook-LineageNode[data-node-id="${id}"]`).getAttribute('class')
      ).resolves.toContain('jp-mod-neighbour');
    }
    await screenshot(page, 'lineage-02-selected');
  });

  it('exports the lineage as a PROV-JSON download', async () => {
    const { page } = app.recorded;
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.locator('.jp-opsbook-Lineage-export').first().click()
    ]);
    expect(download.suggestedFilename()).toBe('checkout-incident.prov.json');
    const doc = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
    expect(Object.keys(doc.activity)).toHaveLength(2);
    for (const activity of Object.values(doc.activity) as any[]) {
      expect(activity['prov:startTime']).toMatch(/Z$/);
    }
    expect(doc.agent['user:ana']['prov:type'].$).toBe('prov:Person');
    expect(Object.keys(doc.used).length).toBeGreaterThanOrEqual(4);
  });

  it('lists the runs in the audit trail, filters them, and says the chains verify', async () => {
    const { page } = app.recorded;
    await command(page, 'opsbook:show-audit-trail');
    const status = page.locator('.jp-opsbook-Audit-status.jp-mod-ok');
    await status.waitFor({ timeout: 30_000 });
    await expect(status.textContent()).resolves.toMatch(/Audit trail verified: \d+ entries/);
    const rows = page.locator('.jp-opsbook-Audit-table tbody tr');
    await page.locator('.jp-opsbook-Audit-table tr[data-action="export"]').waitFor();
    // Newest first: the PROV export is on top; the two runs are there, by ana.
    await expect(rows.first().getAttribute('data-action')).resolves.toBe('export');
    const runRows = page.locator('.jp-opsbook-Audit-table tr[data-action="run"]');
    expect(await runRows.count()).toBe(2);
    for (const user of await runRows.locator('.jp-opsbook-Audit-userCell').allTextContents()) {
      expect(user).toBe('ana');
    }
    await screenshot(page, 'audit-01-trail');

    await page.locator('.jp-opsbook-Audit-action').selectOption('run');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.jp-opsbook-Audit-table tbody tr')].every(
          r => r.getAttribute('data-action') === 'run'
        ) && document.querySelectorAll('.jp-opsbook-Audit-table tbody tr').length === 2
    );
    const user = page.locator('.jp-opsbook-Audit-user');
    await user.fill('nobody');
    await user.press('Enter');
    await page.locator('.jp-opsbook-Audit-footer', { hasText: 'No audit entries match' }).waitFor();
    expect(await rows.count()).toBe(0);
    await user.fill('ana');
    await user.press('Enter');
    await page.waitForFunction(
      () => document.querySelectorAll('.jp-opsbook-Audit-table tr[data-action="run"]').length === 2
    );
    await screenshot(page, 'audit-02-filtered');
  });
});

/** The id of the notebook panel in the shell. */
async function notebookId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const app = (window as any).jupyterapp;
    for (const w of app.shell.widgets('main')) {
      if (w.content?.constructor?.name === 'Notebook' || w.hasClass?.('jp-NotebookPanel')) {
        return w.id as string;
      }
    }
    throw new Error('no notebook panel');
  });
}
