/**
 * Investigation bundles in Chromium (issue #5, part 6): on server A a telemetry cell of the
 * example notebook runs (recorded in A's run log), File ▸ Export Investigation Bundle downloads
 * `checkout-incident.opsbundle`; on server B (another notebook root and an empty catalog), File ▸
 * Import Investigation Bundle… takes it through the file chooser, the dialog shows the
 * verification report, and the imported notebook opens with its runs listed from the bundle.
 */
import * as fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import {
  ANA,
  copyExampleStore,
  launchBrowser,
  openNotebook,
  openPage,
  runActiveCell,
  screenshot,
  startServer,
  writeUsersFile,
  type ServerHandle
} from '../harness';

const NOTEBOOK = 'checkout-incident.ipynb';

/** Opens a top-level menu and hovers nothing else: the File menu as a user sees it. */
async function openFileMenu(page: Page): Promise<void> {
  await page.click('.lm-MenuBar-itemLabel:text-is("File")');
  await page.waitForSelector('.lm-Menu .lm-Menu-itemLabel:text-is("Export Investigation Bundle")');
}

describe('investigation bundles in the app', () => {
  let a: ServerHandle;
  let b: ServerHandle;
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    const users = writeUsersFile([ANA]);
    a = await startServer({ store: copyExampleStore(), usersFile: users });
    b = await startServer({ usersFile: users });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await a?.stop();
    await b?.stop();
  });

  it('exports the current notebook with its runs and snapshots from the File menu', async () => {
    const { page } = await openPage(browser);
    await openNotebook(page, a, NOTEBOOK);
    await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.findIndex(
        (c: any) => c.model.id === 'latency-p95'
      );
    });
    await runActiveCell(page);
    await page.waitForFunction(
      () => {
        const notebook = (window as any).jupyterapp.shell.currentWidget.content;
        const cell = notebook.widgets.find((c: any) => c.model.id === 'latency-p95');
        return (cell?.model.getMetadata('opsbook')?.runs ?? []).length === 1;
      },
      undefined,
      { timeout: 60_000 }
    );
    await openFileMenu(page);
    await screenshot(page, 'bundles-01-file-menu');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.click('.lm-Menu .lm-Menu-itemLabel:text-is("Export Investigation Bundle")')
    ]);
    expect(download.suggestedFilename()).toBe('checkout-incident.opsbundle');
    bundle = (await download.path())!;
    const bytes = fs.readFileSync(bundle);
    expect(bytes.subarray(0, 11).toString('latin1')).toBe('bundle.json');
    expect(bytes.subarray(257, 262).toString('latin1')).toBe('ustar');
  });

  it('imports the bundle on another server, shows the report and opens the notebook', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${b.url}/lab?token=${b.token}`);
    await page.waitForSelector('body[data-opsbook-ready]', { state: 'attached', timeout: 60_000 });
    await openFileMenu(page);
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.click('.lm-Menu .lm-Menu-itemLabel:text-is("Import Investigation Bundle…")')
    ]);
    await chooser.setFiles(bundle);
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('.jp-OpsbookBundleReport').waitFor({ timeout: 120_000 });
    const text = await dialog.textContent();
    expect(text).toContain('Investigation bundle imported');
    expect(text).toContain('Verified and imported as imported/checkout-incident.ipynb: 1 run(s)');
    expect(text).toContain('self-declared');
    await screenshot(page, 'bundles-02-import-report');
    await dialog.locator('button:has-text("Open Notebook")').click();
    await page.waitForSelector('.jp-NotebookPanel .jp-Cell', { timeout: 60_000 });
    await expect(
      page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path)
    ).resolves.toBe('imported/checkout-incident.ipynb');

    const runs = await (
      await fetch(`${b.url}/api/opsbook/runs?notebook=imported/checkout-incident.ipynb`, {
        headers: { Authorization: `token ${ANA.token}` }
      })
    ).json();
    expect(runs.runs).toHaveLength(1);
    expect(runs.runs[0].origin.importedAs).toBe('imported/checkout-incident.ipynb');
    expect(errors.filter(e => !/favicon|ResizeObserver/.test(e))).toEqual([]);
    // The file browser shows the new folder; the notebook's telemetry cells render.
    const folder = '.jp-DirListing-item[data-isdir="true"][title^="Name: imported"]';
    await page.waitForSelector(folder, { timeout: 30_000 });
    await page.waitForSelector(
      '.jp-NotebookPanel .jp-Cell[data-cell-id="latency-p95"], .jp-NotebookPanel .jp-CodeCell',
      { timeout: 30_000 }
    );
    await page.waitForTimeout(500);
    await screenshot(page, 'bundles-03-imported-notebook');
  });
});
