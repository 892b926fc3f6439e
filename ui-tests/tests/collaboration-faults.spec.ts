/**
 * Issue #3, faults end to end in Chromium with two users (Ana and Ben, own browser contexts and
 * tokens from a users file) editing one notebook:
 *   - the file is rewritten on disk while both have unsaved edits: both see the conflict banner
 *     (not the stock "Edit Conflict" dialog), nobody's edits are lost, "Show the diff" shows the
 *     changed cells, "Keep mine" writes both users' edits to disk (no stock "File Changed"
 *     prompt, then or at the next save), the disk version is kept in the state dir; after a
 *     second rewrite "Take the file" loads the disk version for both;
 *   - Ben goes offline and both keep editing: once he is back online both converge;
 *   - the server restarts (new session id, same notebook and state dirs): both get the
 *     reloadable "Session expired" prompt and, after reloading, nothing is lost.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  openNotebookAs,
  openPage,
  screenshot,
  startServer,
  writeUsersFile,
  type RecordedPage,
  type ServerHandle,
  ANA,
  BEN,
  cellSources as sources
} from '../harness';

const NOTEBOOK = 'faults.ipynb';

/** A small SQL notebook: one cell per user, so their edits never touch the same text. */
function notebookJson(sources: string[]): string {
  return JSON.stringify(
    {
      cells: sources.map((source, i) => ({
        cell_type: 'code',
        id: `cell-${i}`,
        metadata: {},
        source,
        outputs: [],
        execution_count: null
      })),
      metadata: {
        kernelspec: { name: 'duckdb', display_name: 'DuckDB SQL', language: 'sql' },
        language_info: { name: 'sql' }
      },
      nbformat: 4,
      nbformat_minor: 5
    },
    null,
    1
  );
}

/** Types `text` at the end of cell `index`, a few characters per change, like a user. */
async function typeInto(page: Page, index: number, text: string): Promise<void> {
  for (let i = 0; i < text.length; i += 3) {
    await page.evaluate(
      ([index, chunk]) => {
        const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[index];
        const shared = cell.model.sharedModel;
        const end = shared.getSource().length;
        shared.updateSource(end, end, chunk);
      },
      [index, text.slice(i, i + 3)] as const
    );
    await page.waitForTimeout(30);
  }
}

/** Waits until every cell of `page` contains the matching fragment. */
async function waitForSources(page: Page, fragments: string[], timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    fragments => {
      const cells = (window as any).jupyterapp.shell.currentWidget.content.widgets.map((c: any) =>
        c.model.sharedModel.getSource()
      );
      return fragments.every((f: string, i: number) => (cells[i] ?? '').includes(f));
    },
    fragments,
    { timeout, polling: 100 }
  );
}

/** The open dialog whose text contains `title`. */
function dialog(page: Page, title: string) {
  return page.locator('.jp-Dialog-content').filter({ hasText: title });
}

/** The conflict banner above the notebook. */
function banner(page: Page) {
  return page.locator('.jp-opsbook-ConflictBanner');
}

/** The cells of the file on disk (sources joined). */
function onDisk(file: string): string[] {
  return JSON.parse(fs.readFileSync(file, 'utf8')).cells.map((c: any) =>
    Array.isArray(c.source) ? c.source.join('') : c.source
  );
}

/** Waits until the file on disk has `expected` as its cell sources. */
async function waitForDisk(page: Page, file: string, expected: string[]): Promise<void> {
  let cells: string[] = [];
  for (let i = 0; i < 100; i++) {
    cells = onDisk(file);
    if (JSON.stringify(cells) === JSON.stringify(expected)) {
      break;
    }
    await page.waitForTimeout(100);
  }
  expect(cells).toEqual(expected);
}

/** Calls the server as the page's user (same token as the page). */
async function api(
  page: Page,
  method: string,
  url: string,
  body?: unknown
): Promise<{ status: number; json: any }> {
  return page.evaluate(
    async ([method, url, body]) => {
      const settings = (window as any).jupyterapp.serviceManager.serverSettings;
      const res = await fetch(`${settings.baseUrl}${url}`, {
        method,
        headers: { Authorization: `token ${settings.token}` },
        body: body === undefined ? undefined : JSON.stringify(body)
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    [method, url, body] as const
  );
}

describe('collaboration faults: disk changes, offline clients, server restarts', () => {
  let server: ServerHandle;
  let browser: Browser;
  let ana: RecordedPage;
  let ben: RecordedPage;
  let file: string;
  let fileId: string;

  beforeAll(async () => {
    const usersFile = writeUsersFile([ANA, BEN]);
    server = await startServer({ usersFile });
    file = path.join(server.notebookDir, NOTEBOOK);
    fs.writeFileSync(file, notebookJson(['-- ana', '-- ben']));
    browser = await launchBrowser();
    ana = await openPage(browser);
    ben = await openPage(browser);
    await openNotebookAs(ana.page, server, NOTEBOOK, ANA.token);
    await openNotebookAs(ben.page, server, NOTEBOOK, BEN.token);
    const session = await api(ana.page, 'PUT', `api/collaboration/session/${NOTEBOOK}`, {
      format: 'json',
      type: 'notebook'
    });
    fileId = session.json.fileId;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows both users the conflict banner when the file is rewritten under their edits, and keeps their edits', async () => {
    // Both type; the file is rewritten before autosave (1 s) could save their edits.
    await Promise.all([typeInto(ana.page, 0, ' ana-1'), typeInto(ben.page, 1, ' ben-1')]);
    fs.writeFileSync(file, notebookJson(['-- external rewrite', '-- by a script']));
    const text = `${NOTEBOOK} changed on disk while this notebook had unsaved edits`;
    await Promise.all([
      banner(ana.page).filter({ hasText: text }).waitFor({ timeout: 20_000 }),
      banner(ben.page).filter({ hasText: text }).waitFor({ timeout: 20_000 })
    ]);
    await screenshot(ana.page, 'faults-01-conflict-banner');
    // The stock client's "Edit Conflict" dialog (wrong text for this case) does not open.
    expect(await dialog(ana.page, 'Edit Conflict').count()).toBe(0);
    expect(await dialog(ben.page, 'Edit Conflict').count()).toBe(0);
    // Nothing was replaced: the room still has both users' edits, and both see them.
    await waitForSources(ana.page, ['ana-1', 'ben-1']);
    await waitForSources(ben.page, ['ana-1', 'ben-1']);
    const conflict = await api(ana.page, 'GET', `api/collaboration/conflict/${fileId}`);
    expect(conflict.status).toBe(200);
    expect(conflict.json.disk.cells[0].source).toBe('-- external rewrite');
    expect(conflict.json.room.cells[0].source).toContain('ana-1');
    expect(fs.readFileSync(conflict.json.savedCopy, 'utf8')).toContain('external rewrite');
    // Show the diff: the changed cell text of both versions.
    await banner(ben.page).getByRole('button', { name: 'Show the diff' }).click();
    const diff = dialog(ben.page, 'file on disk vs. this notebook');
    await diff.waitFor({ timeout: 20_000 });
    const diffText = await diff.innerText();
    expect(diffText).toContain('Cell 1 (code): changed');
    expect(diffText).toContain('− -- external rewrite');
    expect(diffText).toContain('+ -- ana ana-1');
    expect(diffText).toContain('− -- by a script');
    expect(diffText).toContain('+ -- ben ben-1');
    await screenshot(ben.page, 'faults-02-conflict-diff');
    await diff.getByRole('button', { name: 'Close' }).click();
    // Keep mine, after more typing: both users' edits go to disk, the banner goes for both.
    await typeInto(ben.page, 1, ' ben-2');
    await waitForSources(ana.page, ['ana-1', 'ben-2']);
    await banner(ana.page).getByRole('button', { name: 'Keep mine' }).click();
    await waitForDisk(ana.page, file, ['-- ana ana-1', '-- ben ben-1 ben-2']);
    await Promise.all([
      banner(ana.page).waitFor({ state: 'hidden', timeout: 20_000 }),
      banner(ben.page).waitFor({ state: 'hidden', timeout: 20_000 })
    ]);
    expect((await api(ana.page, 'GET', `api/collaboration/conflict/${fileId}`)).status).toBe(404);
    // The next ordinary save goes through without the stock "File Changed" prompt.
    await typeInto(ben.page, 1, ' ben-3');
    await waitForSources(ana.page, ['ana-1', 'ben-3']);
    const saved = await ana.page.evaluate(() =>
      Promise.race([
        (window as any).jupyterapp.commands.execute('docmanager:save').then(() => 'saved'),
        new Promise(resolve => setTimeout(() => resolve('still waiting'), 15_000))
      ])
    );
    expect(saved).toBe('saved');
    expect(await dialog(ana.page, 'File Changed').count()).toBe(0);
    await waitForDisk(ana.page, file, ['-- ana ana-1', '-- ben ben-1 ben-2 ben-3']);
  });

  it('loads the disk version for both users when one takes the file', async () => {
    await typeInto(ben.page, 1, ' unsaved');
    await waitForSources(ana.page, ['ana-1', 'unsaved']);
    fs.writeFileSync(file, notebookJson(['-- taken from disk', '-- second']));
    await Promise.all([
      banner(ana.page).waitFor({ timeout: 20_000 }),
      banner(ben.page).waitFor({ timeout: 20_000 })
    ]);
    await banner(ben.page).getByRole('button', { name: 'Take the file' }).click();
    await waitForSources(ana.page, ['-- taken from disk', '-- second']);
    await waitForSources(ben.page, ['-- taken from disk', '-- second']);
    expect(await sources(ana.page)).toEqual(['-- taken from disk', '-- second']);
    expect(await sources(ben.page)).toEqual(['-- taken from disk', '-- second']);
    await Promise.all([
      banner(ana.page).waitFor({ state: 'hidden', timeout: 20_000 }),
      banner(ben.page).waitFor({ state: 'hidden', timeout: 20_000 })
    ]);
    expect((await api(ana.page, 'GET', `api/collaboration/conflict/${fileId}`)).status).toBe(404);
    expect(onDisk(file)).toEqual(['-- taken from disk', '-- second']);
  });

  it('converges after a user edits offline while the other keeps editing', async () => {
    await ben.page.context().setOffline(true);
    await typeInto(ben.page, 1, ' ben-offline');
    await typeInto(ana.page, 0, ' ana-online');
    await ana.page.waitForTimeout(1500);
    // Ben's edits did not reach Ana while he was offline.
    expect((await sources(ana.page))[1]).not.toContain('ben-offline');
    await screenshot(ben.page, 'faults-03-ben-offline');
    await ben.page.context().setOffline(false);
    await waitForSources(ana.page, ['ana-online', 'ben-offline'], 60_000);
    await waitForSources(ben.page, ['ana-online', 'ben-offline'], 60_000);
    expect(await sources(ana.page)).toEqual(await sources(ben.page));
  });

  it('prompts both users to reload after a server restart and loses nothing', async () => {
    await typeInto(ana.page, 0, ' before-restart');
    await waitForSources(ben.page, ['before-restart', 'ben-offline']);
    const expected = await sources(ana.page);
    server = await server.restart();
    await Promise.all([
      dialog(ana.page, 'Session expired').waitFor({ timeout: 30_000 }),
      dialog(ben.page, 'Session expired').waitFor({ timeout: 30_000 })
    ]);
    await screenshot(ana.page, 'faults-04-session-expired');
    for (const [rec, user] of [
      [ana, ANA],
      [ben, BEN]
    ] as const) {
      await dialog(rec.page, 'Session expired').getByRole('button', { name: 'Reload' }).click();
      await rec.page.waitForLoadState('load');
      // The reload keeps the URL; open the notebook again the way a user would if it asks.
      await openNotebookAs(rec.page, server, NOTEBOOK, user.token);
      await waitForSources(rec.page, expected);
      expect(await sources(rec.page)).toEqual(expected);
    }
    await screenshot(ben.page, 'faults-05-after-restart');
  });
});
