/**
 * Issue #5, "Replay notebook" end to end in Chromium: after Run All of the example notebook,
 * Replay Notebook reproduces every recorded run (the exact count of telemetry cells) and shows the
 * Reproducibility Report; a deliberately non-deterministic cell (`SELECT random() AS r`) is then
 * the one diverged run, with the volatile function as its cause; run twice, its two recorded
 * runs (same cell version, same snapshots, two hashes) are flagged as non-deterministic in the
 * Provenance panel and in the report. A cell whose result is named
 * (through "Name the Result of this Cell…") is read by a later cell: the child's run record names
 * the parent run, and the replay reproduces both.
 */
import * as fs from 'node:fs';
import type { Page } from 'playwright-core';
import {
  command,
  EXAMPLE_NOTEBOOK,
  openNotebook,
  screenshot,
  useAnaApp,
  waitForRunsToFinish
} from '../harness';

const NOTEBOOK = EXAMPLE_NOTEBOOK;
/** The example notebook's telemetry cells. */
const TELEMETRY_CELLS = 7;

/** How many recorded runs the cells of the current notebook carry in their metadata. */
async function recordedRuns(page: Page): Promise<number> {
  return page.evaluate(() => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    return notebook.widgets.reduce(
      (n: number, c: any) => n + (c.model.getMetadata('opsbook')?.runs?.length ?? 0),
      0
    );
  });
}

/** Waits until the cells carry `n` recorded runs (the recorder posts after each run). */
async function waitForRecordedRuns(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    n => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const runs = notebook.widgets.reduce(
        (sum: number, c: any) => sum + (c.model.getMetadata('opsbook')?.runs?.length ?? 0),
        0
      );
      return runs >= (n as number);
    },
    n,
    { timeout: 60_000, polling: 200 }
  );
}

/** Inserts a telemetry cell below the active one with `sql`, runs it in place, waits for its record. */
async function addAndRun(page: Page, sql: string): Promise<string> {
  const before = await recordedRuns(page);
  await command(page, 'opsbook:insert-telemetry-cell');
  const id = await page.evaluate(sql => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    notebook.activeCell.model.sharedModel.setSource(sql);
    return notebook.activeCell.model.id as string;
  }, sql);
  await command(page, 'notebook:run-cell');
  await waitForRunsToFinish(page, 60_000);
  await waitForRecordedRuns(page, before + 1);
  return id;
}

/** Gives the notebook the focus back (a report may have taken it) and activates its last cell. */
async function focusLastCell(page: Page): Promise<void> {
  await page
    .locator('.jp-NotebookPanel .jp-Notebook')
    .first()
    .click({ position: { x: 5, y: 5 } });
  await page.evaluate(() => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = notebook.widgets.length - 1;
  });
}

/** Starts a command without waiting for it (one that opens a dialog resolves when it closes). */
async function startCommand(page: Page, id: string): Promise<void> {
  await page.evaluate(id => {
    void (window as any).jupyterapp.commands.execute(id);
  }, id);
}

/** Runs Replay Notebook and waits for the report; returns its totals by kind. */
async function replayNotebook(page: Page): Promise<Record<string, number>> {
  await page.evaluate(() => {
    document
      .querySelectorAll('.jp-opsbook-ReplayReport')
      .forEach(n => n.setAttribute('data-old', ''));
  });
  await command(page, 'opsbook:replay-notebook');
  const totals = page.locator(
    '.jp-opsbook-ReplayReport:not([data-old]) .jp-opsbook-ReplayReport-totals'
  );
  await totals.waitFor({ timeout: 180_000 });
  return page.evaluate(() => {
    const view = document.querySelector('.jp-opsbook-ReplayReport:not([data-old])')!;
    const out: Record<string, number> = {};
    view.querySelectorAll('.jp-opsbook-ReplayReport-total').forEach(box => {
      out[(box as HTMLElement).dataset.kind!] = Number(
        box.querySelector('.jp-opsbook-ReplayReport-count')!.textContent
      );
    });
    return out;
  });
}

/** The verdict and reason of each row of the newest report, in order. */
async function reportRows(page: Page): Promise<{ verdict: string; kinds: string; text: string }[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll(
        '.jp-opsbook-ReplayReport:not([data-old]) .jp-opsbook-ReplayReport-row'
      )
    ].map(row => ({
      verdict: (row as HTMLElement).dataset.verdict!,
      kinds:
        (row.querySelector('.jp-opsbook-ReplayReport-causes') as HTMLElement | null)?.dataset
          .kinds ?? '',
      text: row.textContent ?? ''
    }))
  );
}

describe('Replay notebook', () => {
  const app = useAnaApp();
  const api = app.api;

  beforeAll(() => {
    // A step that cannot happen fails within a minute, naming the locator, instead of hanging.
    app.recorded.page.setDefaultTimeout(60_000);
  });

  afterEach(async () => {
    // What the page looked like when a step failed (the last screenshot is overwritten).
    await screenshot(app.recorded.page, 'replay-notebook-last');
  });

  it('reproduces every run of the example notebook after Run All', async () => {
    const { page } = app.recorded;
    await openNotebook(page, app.server, NOTEBOOK);
    await command(page, 'notebook:run-all-cells');
    await waitForRunsToFinish(page);
    await waitForRecordedRuns(page, TELEMETRY_CELLS);
    expect(await recordedRuns(page)).toBe(TELEMETRY_CELLS);
    // The notebook toolbar has the button.
    await page
      .locator('.jp-NotebookPanel-toolbar [data-command="opsbook:replay-notebook"]')
      .waitFor({ timeout: 10_000 });

    const totals = await replayNotebook(page);
    expect(totals).toEqual({
      runs: TELEMETRY_CELLS,
      reproduced: TELEMETRY_CELLS,
      diverged: 0,
      'not-replayable': 0
    });
    const rows = await reportRows(page);
    expect(rows.map(r => r.verdict)).toEqual(Array(TELEMETRY_CELLS).fill('reproduced'));
    expect(rows[0].text).toContain('SELECT time_bucket');
    await screenshot(page, 'replay-notebook-01-reproduced');
    // "Download JSON" gives the same report as a document.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.jp-opsbook-ReplayReport button', { hasText: 'Download JSON' }).click()
    ]);
    expect(download.suggestedFilename()).toBe('checkout-incident.replay-report.json');
    const report = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
    expect(report).toMatchObject({
      format: 'opsbook.replay-report.v1',
      notebook: NOTEBOOK,
      totals: { runs: TELEMETRY_CELLS, reproduced: TELEMETRY_CELLS, diverged: 0, notReplayable: 0 }
    });
  });

  it('flags a deliberately non-deterministic cell as the one diverged run, naming random()', async () => {
    const { page } = app.recorded;
    // Back to the notebook (the report took the focus), below its last cell.
    await focusLastCell(page);
    await addAndRun(page, 'SELECT random() AS r');

    const totals = await replayNotebook(page);
    expect(totals).toEqual({
      runs: TELEMETRY_CELLS + 1,
      reproduced: TELEMETRY_CELLS,
      diverged: 1,
      'not-replayable': 0
    });
    const diverged = (await reportRows(page)).filter(r => r.verdict === 'diverged');
    expect(diverged).toHaveLength(1);
    expect(diverged[0].kinds.split(' ')[0]).toBe('volatile-function');
    expect(diverged[0].text).toMatch(/random/);
    expect(diverged[0].text).toMatch(/1 added, 1 removed/);
    await screenshot(page, 'replay-notebook-02-diverged');
  });

  it('flags two recorded runs of one cell version that disagree, in the panel and the report', async () => {
    const { page } = app.recorded;
    await focusLastCell(page);
    const before = await recordedRuns(page);
    await command(page, 'notebook:run-cell');
    await waitForRunsToFinish(page, 60_000);
    await waitForRecordedRuns(page, before + 1);
    await command(page, 'opsbook:show-provenance');
    const flags = page.locator('.jp-opsbook-Provenance-run .jp-opsbook-Provenance-flag');
    await flags.first().waitFor();
    expect(await flags.count()).toBe(2);
    await expect(flags.first().textContent()).resolves.toMatch(/Non-deterministic: run /);
    await screenshot(page, 'replay-notebook-03-panel-flag');

    const totals = await replayNotebook(page);
    expect(totals).toEqual({
      runs: TELEMETRY_CELLS + 2,
      reproduced: TELEMETRY_CELLS,
      diverged: 2,
      'not-replayable': 0
    });
    const flagged = (await reportRows(page)).filter(r => /non-deterministic: run/.test(r.text));
    expect(flagged).toHaveLength(2);
    const disagree = page.locator(
      '.jp-opsbook-ReplayReport:not([data-old]) .jp-opsbook-ReplayReport-disagree li'
    );
    expect(await disagree.count()).toBe(1);
    await expect(disagree.textContent()).resolves.toMatch(/2 different results .* random/);
  });

  it('links a cell reading a named result to its parent run, and replays both', async () => {
    const { page } = app.recorded;
    await focusLastCell(page);
    const parentId = await addAndRun(
      page,
      'SELECT service_name, count(*) AS calls FROM spans GROUP BY 1 ORDER BY 1'
    );
    // Name the result through the command's dialog (a bad name first: refused, nothing kept).
    await startCommand(page, 'opsbook:name-result');
    await page.locator('.jp-Dialog input').fill('Bad Name');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await page
      .locator('.jp-Dialog')
      .getByText(/not a valid result name/)
      .waitFor();
    await page.locator('.jp-Dialog .jp-mod-reject').click();
    await page.locator('.jp-Dialog').waitFor({ state: 'detached' });
    await startCommand(page, 'opsbook:name-result');
    await page.locator('.jp-Dialog input').fill('calls_per_service');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await page.locator('.jp-Dialog').waitFor({ state: 'detached' });
    const name = await page.evaluate(
      id =>
        (window as any).jupyterapp.shell.currentWidget.content.widgets
          .find((c: any) => c.model.id === id)
          .model.getMetadata('opsbook').resultName,
      parentId
    );
    expect(name).toBe('calls_per_service');
    // Run it again so the engine keeps the result under its name.
    const before = await recordedRuns(page);
    await command(page, 'notebook:run-cell');
    await waitForRunsToFinish(page);
    await waitForRecordedRuns(page, before + 1);

    const childId = await addAndRun(
      page,
      'SELECT sum(calls) AS total, count(*) AS services FROM calls_per_service'
    );
    const parentRuns = await api(`/api/opsbook/runs?notebook=${NOTEBOOK}&cell=${parentId}`);
    const childRuns = await api(`/api/opsbook/runs?notebook=${NOTEBOOK}&cell=${childId}`);
    const parentRun = parentRuns.runs.at(-1).record;
    const childRun = childRuns.runs.at(-1).record;
    expect(childRun.parents).toEqual([parentRun.runId]);
    expect(childRun.inputs).toEqual([
      expect.objectContaining({ table: 'calls_per_service', kind: 'result', run: parentRun.runId })
    ]);
    await page
      .locator(`.jp-Cell[data-opsbook-result="calls_per_service"]`)
      .first()
      .scrollIntoViewIfNeeded();
    await screenshot(page, 'replay-notebook-04-named-result');

    const totals = await replayNotebook(page);
    // 7 example runs, random() twice, the parent twice and the child: only random() diverges.
    expect(totals).toEqual({
      runs: TELEMETRY_CELLS + 5,
      reproduced: TELEMETRY_CELLS + 3,
      diverged: 2,
      'not-replayable': 0
    });
    const rows = await reportRows(page);
    expect(rows.at(-1)!.verdict).toBe('reproduced');
    expect(rows.at(-1)!.text).toContain(`reads ${parentRun.runId.slice(0, 8)}`);
    const replays = await api(`/api/opsbook/runs/${childRun.runId}/replays`);
    expect(replays.replays.at(-1)).toMatchObject({ reproduced: true, user: 'ana' });
    await screenshot(page, 'replay-notebook-05-parents');
  });
});
