/**
 * Issue #5, end to end in Chromium: a telemetry-cell run of the example notebook is recorded in
 * the server's run log (stamped with the user the server knows) and in the cell's metadata; the
 * Provenance panel lists it, and Replay on the pinned snapshots reproduces it. A deliberately
 * non-deterministic query (`SELECT random() AS r`) replays as "diverged", with the volatile
 * function as the likely cause. A run the server refuses still runs, with a warning in the cell.
 */
import type { Page } from 'playwright-core';
import {
  ANA,
  command,
  EXAMPLE_NOTEBOOK,
  openNotebook,
  recordedRunsOf,
  screenshot,
  useAnaApp
} from '../harness';

const NOTEBOOK = EXAMPLE_NOTEBOOK;
/** Makes the cell with `id` the active one and scrolls it into view. */
async function selectCell(page: Page, id: string): Promise<void> {
  await page.evaluate(id => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    const index = notebook.widgets.findIndex((c: any) => c.model.id === id);
    notebook.activeCellIndex = index;
    notebook.widgets[index].node.scrollIntoView({ block: 'start' });
  }, id);
}

/** Runs the active cell without moving on (the panel follows the active cell). */
async function runInPlace(page: Page): Promise<string> {
  const id = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.content.activeCell.model.id as string
  );
  const before = await recordedRunsOf(page, id);
  await command(page, 'notebook:run-cell');
  await page.waitForFunction(
    ([id, before]) => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const cell = notebook.widgets.find((c: any) => c.model.id === id);
      const prompt = cell?.node.querySelector('.jp-InputPrompt')?.textContent ?? '';
      const runs = cell?.model.getMetadata('opsbook')?.runs ?? [];
      const stderr = cell?.node.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]');
      return (
        cell?.model.executionCount !== null &&
        !prompt.includes('*') &&
        (runs.length > (before as number) || !!stderr)
      );
    },
    [id, before] as const,
    { timeout: 120_000, polling: 100 }
  );
  return id;
}

/** Scrolls the active cell (and its outputs) into view for a screenshot. */
async function showActiveCell(page: Page): Promise<void> {
  await page.evaluate(() => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    notebook.activeCell.node.scrollIntoView({ block: 'center' });
  });
  await page.waitForTimeout(300);
}

/** The newest run card of the panel. */
const newestRun = (page: Page) => page.locator('.jp-opsbook-Provenance-run').first();

describe('run provenance in the app', () => {
  const app = useAnaApp();
  const api = app.api;

  it('records a telemetry-cell run with the snapshots it read, and lists it in the panel', async () => {
    const { page } = app.recorded;
    await openNotebook(page, app.server, NOTEBOOK);
    await command(page, 'opsbook:show-provenance');
    await selectCell(page, 'latency-p95');
    await runInPlace(page);

    const runs = await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      return notebook.activeCell.model.getMetadata('opsbook').runs;
    });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ user: 'ana', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    // The run log has the full record: every input is the snapshot the server serves for it.
    const listing = await api('/api/datasets');
    const spans = listing.datasets.find((d: { name: string }) => d.name === 'spans');
    const log = await api(`/api/opsbook/runs?notebook=${NOTEBOOK}&cell=latency-p95`);
    expect(log.runs).toHaveLength(1);
    const record = log.runs[0].record;
    expect(record.inputs).toEqual([
      expect.objectContaining({ table: 'spans', snapshotId: spans.snapshotId })
    ]);
    expect(record.result.rowCount).toBe(runs[0].rows);
    expect(record.stamp.user).toBe('ana');

    const card = newestRun(page);
    await card.waitFor({ timeout: 30_000 });
    await expect(card.locator('.jp-opsbook-Provenance-user').textContent()).resolves.toBe('ana');
    await expect(card.locator('.jp-opsbook-Provenance-rows').textContent()).resolves.toBe(
      runs[0].rows.toLocaleString('en-US')
    );
    expect(await page.locator('.jp-opsbook-Provenance-run').count()).toBe(1);
    await page.locator('.jp-Notebook .jp-Cell.jp-mod-active .jp-opsbook-Chart svg.marks').waitFor();
    await screenshot(page, 'provenance-01-recorded');
  });

  it('replays the run on its pinned snapshots and shows "reproduced"', async () => {
    const { page } = app.recorded;
    const card = newestRun(page);
    await card.locator('.jp-opsbook-Provenance-replay').click();
    const outcome = card.locator('.jp-opsbook-Provenance-outcome.jp-mod-reproduced');
    await outcome.waitFor({ timeout: 120_000 });
    await expect(outcome.locator('.jp-opsbook-Provenance-verdict').textContent()).resolves.toBe(
      'reproduced'
    );
    const runId = await card.getAttribute('data-run-id');
    const replays = await api(`/api/opsbook/runs/${runId}/replays`);
    expect(replays.replays).toEqual([expect.objectContaining({ reproduced: true, user: 'ana' })]);
    await screenshot(page, 'provenance-02-reproduced');
  });

  it('replays a non-deterministic query as "diverged", naming the volatile function', async () => {
    const { page } = app.recorded;
    await selectCell(page, 'latency-p95');
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCell.model.sharedModel.setSource('SELECT random() AS r');
    });
    await runInPlace(page);
    const card = newestRun(page);
    await card.waitFor({ timeout: 30_000 });
    await card.locator('.jp-opsbook-Provenance-replay').click();
    const outcome = card.locator('.jp-opsbook-Provenance-outcome.jp-mod-diverged');
    await outcome.waitFor({ timeout: 120_000 });
    await expect(outcome.locator('.jp-opsbook-Provenance-verdict').textContent()).resolves.toBe(
      'diverged'
    );
    const cause = outcome.locator('.jp-opsbook-Provenance-cause[data-kind="volatile-function"]');
    await expect(cause.textContent()).resolves.toMatch(/random/);
    await expect(outcome.locator('.jp-opsbook-Provenance-diffCounts').textContent()).resolves.toBe(
      'Rows: 1 recorded, 1 now.'
    );
    expect(await outcome.locator('.jp-mod-added').count()).toBe(1);
    expect(await outcome.locator('.jp-mod-removed').count()).toBe(1);
    await showActiveCell(page);
    await screenshot(page, 'provenance-03-diverged');
  });

  it('still runs a cell the server does not record, with a warning in the cell', async () => {
    const { page } = app.recorded;
    const runsUrl = (url: URL) => url.pathname.endsWith('/api/opsbook/runs');
    await page.route(runsUrl, route =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 503,
            contentType: 'application/json',
            body: JSON.stringify({ message: 'The run log is unavailable.' })
          })
        : route.continue()
    );
    const id = await runInPlace(page);
    const state = await page.evaluate(id => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const widget = notebook.widgets.find((c: any) => c.model.id === id);
      return {
        stderr:
          widget.node.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]')
            ?.textContent ?? '',
        table: !!widget.node.querySelector('.jp-opsbook-Table'),
        runs: widget.model.getMetadata('opsbook').runs.length
      };
    }, id);
    expect(state).toEqual({
      stderr: expect.stringContaining(
        'run not recorded: The run log is unavailable. (HTTP 503)'
      ) as unknown as string,
      table: true,
      runs: 1
    });
    await page.unroute(runsUrl);
    await showActiveCell(page);
    await screenshot(page, 'provenance-04-not-recorded');
  });

  it('pins a cell to the snapshots of a run: later ingests do not move it until unpinned', async () => {
    const { page } = app.recorded;
    /** OTLP/JSON with `n` one-span traces whose ids start at `from` (new rows every time). */
    const traces = (from: number, n: number) =>
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pin' } }] },
            scopeSpans: [
              {
                spans: Array.from({ length: n }, (_, i) => ({
                  traceId: (from + i + 1).toString(16).padStart(32, '0'),
                  spanId: (from + i + 1).toString(16).padStart(16, '0'),
                  name: 'GET /pin',
                  kind: 2,
                  startTimeUnixNano: String(1_735_700_000_000_000_000n + BigInt(from + i) * 1000n),
                  endTimeUnixNano: String(
                    1_735_700_000_000_000_000n + BigInt(from + i) * 1000n + 500n
                  )
                }))
              }
            ]
          }
        ]
      });
    const ingest = async (body: string) => {
      const res = await fetch(
        `${app.server.url}/api/opsbook/ingest?dataset=pinned&as=otlp&filename=pin.json`,
        { method: 'POST', headers: { Authorization: `token ${ANA.token}` }, body }
      );
      expect(await res.text()).toContain('"type":"report"');
    };
    const count = async (id: string) =>
      page.evaluate(id => {
        const notebook = (window as any).jupyterapp.shell.currentWidget.content;
        const cell = notebook.widgets.find((c: any) => c.model.id === id);
        return cell.node.querySelector('.jp-opsbook-Table td.jp-opsbook-number')?.textContent;
      }, id);

    await ingest(traces(0, 4));
    await selectCell(page, 'latency-p95');
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCell.model.sharedModel.setSource('SELECT count(*) AS n FROM pinned_spans');
    });
    const id = await runInPlace(page);
    expect(await count(id)).toBe('4');
    const card = newestRun(page);
    await card.waitFor({ timeout: 30_000 });
    await card.locator('.jp-opsbook-Provenance-pin').click();
    const pins = await page.evaluate(
      () =>
        (window as any).jupyterapp.shell.currentWidget.content.activeCell.model.getMetadata(
          'opsbook'
        ).pins
    );
    expect(Object.keys(pins)).toEqual(['pinned_spans']);
    await page.locator('.jp-opsbook-Provenance-pins').waitFor();

    await ingest(traces(100, 3));
    await runInPlace(page);
    expect(await count(id)).toBe('4');
    const log = await api(`/api/opsbook/runs?notebook=${NOTEBOOK}&cell=${id}`);
    const last = log.runs[log.runs.length - 1].record;
    expect(last.inputs).toEqual([
      expect.objectContaining({ table: 'pinned_spans', snapshotId: pins.pinned_spans })
    ]);
    await showActiveCell(page);
    await screenshot(page, 'provenance-05-pinned');

    await page.locator('.jp-opsbook-Provenance-unpin').click();
    await runInPlace(page);
    expect(await count(id)).toBe('7');
  });
});
