/**
 * Issue #3, a QA pass as a team uses collaboration: two editors (Ana, the owner, and Eve) and a
 * viewer (Vic), each in their own browser context with their own token, on the example notebook.
 * Each test guards something a user tripped over:
 *   - a viewer could type, saw the text as if saved, and lost it silently (the server refuses a
 *     viewer's changes): now the notebook says "Read-only" up front, its cells are read-only,
 *     a change that still gets through is undone with a message, and the panels hide what a
 *     viewer cannot use;
 *   - an @mentioned user saw nothing: now a notification opens the thread;
 *   - a long hypothesis title was cut off, statuses read as raw values, and a hypothesis without
 *     evidence showed an empty "Evidence:" line;
 *   - a viewer was offered "Keep mine" / "Take the file" in the conflict banner (the server
 *     refuses both);
 *   - a failed save (read-only folder) said only "Saving failed": now a notification says the
 *     edits are kept and offers to save again;
 *   - after a server restart, "Continue" in the stock "Session expired" dialog left a notebook
 *     that looked alive but saved nothing: now a banner says so and offers the reload.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  command,
  launchBrowser,
  openNotebookAs,
  openPage,
  screenshot,
  startServer,
  writeUsersFile,
  type RecordedPage,
  type ServerHandle,
  type TestUser,
  ANA,
  activateCell as activate,
  cellSources as sources,
  cellIdAt as cellId
} from '../harness';

const NOTEBOOK = 'checkout-incident.ipynb';

/** The owner, an editor and a viewer (`role` is read by the server's users file). */
const OWNER = { ...ANA, role: 'owner' };
const EVE = {
  username: 'eve',
  display_name: 'Eve Adams',
  color: '#2ca02c',
  token: 'ui-test-token-eve-5555555555',
  role: 'editor'
};
const VIC = {
  username: 'vic',
  display_name: 'Vic Chen',
  color: '#9467bd',
  token: 'ui-test-token-vic-7777777777',
  role: 'viewer'
};

/**
 * Makes `dir` read-only for the server (or writable again): `chattr +i` as root, whom
 * permissions do not stop; `chmod` otherwise.
 */
function setReadOnly(dir: string, readOnly: boolean): void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', [readOnly ? '+i' : '-i', dir]);
  } else {
    fs.chmodSync(dir, readOnly ? 0o555 : 0o755);
  }
}

/** Notification toasts whose text contains `text`. */
function toast(page: Page, text: string) {
  return page.locator('.Toastify__toast').filter({ hasText: text });
}

/** Waits until every toast has slid in (for screenshots). */
async function toastsSettled(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.Toastify__toast')].every(
      t => t.getBoundingClientRect().right <= window.innerWidth
    )
  );
}

describe('collaboration QA: two editors and a viewer on one notebook', () => {
  let server: ServerHandle;
  let browser: Browser;
  let ana: RecordedPage;
  let eve: RecordedPage;
  let vic: RecordedPage;

  beforeAll(async () => {
    server = await startServer({ usersFile: writeUsersFile([OWNER, EVE, VIC] as TestUser[]) });
    browser = await launchBrowser();
    ana = await openPage(browser);
    eve = await openPage(browser);
    vic = await openPage(browser);
    await openNotebookAs(ana.page, server, NOTEBOOK, OWNER.token);
    await openNotebookAs(eve.page, server, NOTEBOOK, EVE.token);
    await openNotebookAs(vic.page, server, NOTEBOOK, VIC.token);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('tells a viewer the notebook is read-only before typing, and hides what a viewer cannot use', async () => {
    const label = vic.page.locator('.jp-NotebookPanel-toolbar .jp-opsbook-ReadOnlyLabel');
    await label.waitFor({ timeout: 15_000 });
    expect(await label.innerText()).toBe('Read-only: you are a viewer');
    expect(await ana.page.locator('.jp-opsbook-ReadOnlyLabel').count()).toBe(0);
    // The toolbar buttons that would change the notebook are gone; copy and the kernel stay.
    const item = (page: Page, name: string) =>
      page.locator(`.jp-NotebookPanel-toolbar [data-jp-item-name="${name}"]`);
    for (const name of ['insert', 'cut', 'paste', 'run', 'cellType']) {
      expect(await item(vic.page, name).isVisible()).toBe(false);
      expect(await item(ana.page, name).isVisible()).toBe(true);
    }
    expect(await item(vic.page, 'copy').isVisible()).toBe(true);
    expect(
      await vic.page.evaluate(() => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        return panel.context.model.readOnly && panel.content.widgets.every((c: any) => c.readOnly);
      })
    ).toBe(true);
    // No "+ Comment" button on a viewer's cells; the panels say why there is nothing to type in.
    await activate(vic.page, 2);
    await vic.page.locator('.jp-opsbook-CellMarks').first().waitFor({ state: 'attached' });
    expect(await vic.page.locator('.jp-opsbook-CommentButton').count()).toBe(0);
    await command(vic.page, 'opsbook:open-comments');
    const note = vic.page.locator('.jp-opsbook-CommentsPanel .jp-opsbook-ViewerNote');
    await note.waitFor();
    expect(await note.innerText()).toContain('You are a viewer');
    expect(await vic.page.locator('.jp-opsbook-CommentsPanel textarea').count()).toBe(0);
    await screenshot(vic.page, 'qa-01-viewer-read-only');
    await command(vic.page, 'opsbook:open-hypotheses');
    await vic.page.locator('.jp-opsbook-HypothesesPanel .jp-opsbook-ViewerNote').waitFor();
    expect(await vic.page.locator('[data-key="new-hypothesis"]').count()).toBe(0);
    // Opening the notebook as a viewer changed nothing that had to be undone.
    expect(await vic.page.locator('.Toastify__toast').count()).toBe(0);
    // Editors keep their controls.
    await command(ana.page, 'opsbook:open-comments');
    await ana.page.locator('.jp-opsbook-CommentsPanel [data-key="new"]').waitFor();
  });

  it("refuses or undoes a viewer's change with a clear message instead of pretending it was saved", async () => {
    const before = await sources(ana.page);
    // Typing into a cell does nothing: its editor is read-only.
    await activate(vic.page, 2);
    await command(vic.page, 'notebook:enter-edit-mode');
    await vic.page.keyboard.type('vic was here');
    expect(await sources(vic.page)).toEqual(before);
    // Commands that would change the notebook are refused, from the keyboard too ("dd").
    await activate(vic.page, 2);
    await vic.page.evaluate(() =>
      (window as any).jupyterapp.shell.currentWidget.content.node.focus()
    );
    await vic.page.keyboard.press('d');
    await vic.page.keyboard.press('d');
    await toast(vic.page, 'you can read this notebook, but not change or run it').waitFor({
      timeout: 15_000
    });
    expect(await sources(vic.page)).toEqual(before);
    await toastsSettled(vic.page);
    await screenshot(vic.page, 'qa-02-viewer-command-refused');
    // A change that still gets through (another extension, say) is undone and explained.
    await vic.page.evaluate(() => {
      const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[2];
      cell.model.sharedModel.updateSource(0, 0, '-- vic was here\n');
    });
    await toast(vic.page, 'your change to this notebook was undone').waitFor({ timeout: 15_000 });
    await vic.page.waitForFunction(
      expected =>
        (
          window as any
        ).jupyterapp.shell.currentWidget.content.widgets[2].model.sharedModel.getSource() ===
        expected,
      before[2],
      { timeout: 15_000 }
    );
    expect(await sources(vic.page)).toEqual(before);
    await toastsSettled(vic.page);
    await screenshot(vic.page, 'qa-03-viewer-change-undone');
    expect(await sources(ana.page)).toEqual(before);
  });

  it('notifies a user mentioned in a comment and opens the thread from the notification', async () => {
    await activate(ana.page, 2);
    const id = await cellId(ana.page, 2);
    await command(ana.page, 'opsbook:add-comment', {
      text: 'p95 jumps at 14:00 here, @eve can you check the deploy log?'
    });
    const mention = toast(eve.page, 'Ana Silva mentioned you on Cell 3 of checkout-incident.ipynb');
    await mention.waitFor({ timeout: 15_000 });
    expect(await mention.innerText()).toContain('“p95 jumps at 14:00 here, @eve can you check');
    await toastsSettled(eve.page);
    await screenshot(eve.page, 'qa-04-eve-mentioned');
    await mention.getByRole('button', { name: 'Show' }).click();
    const thread = eve.page.locator(`.jp-opsbook-Thread.jp-mod-mentionsMe[data-cell-id="${id}"]`);
    await thread.waitFor({ timeout: 15_000 });
    expect(await thread.locator('.jp-opsbook-Mention.jp-mod-me').innerText()).toBe('@eve');
    expect(
      await eve.page.evaluate(
        () => (window as any).jupyterapp.shell.currentWidget.content.activeCell.model.id
      )
    ).toBe(id);
    // Nobody else was mentioned, so nobody else is notified.
    expect(await toast(vic.page, 'mentioned you').count()).toBe(0);
    // Eve resolves the thread, Ana reopens it; the viewer reads along without the buttons.
    await thread.locator('.jp-opsbook-Resolve').click();
    await ana.page.locator('.jp-opsbook-ShowResolved input').check();
    const resolved = ana.page.locator(`.jp-opsbook-Thread.jp-mod-resolved[data-cell-id="${id}"]`);
    await resolved.waitFor({ timeout: 15_000 });
    expect(await resolved.locator('.jp-opsbook-Resolved').innerText()).toBe(
      'Resolved by Eve Adams'
    );
    await resolved.locator('.jp-opsbook-Reopen').click();
    await eve.page
      .locator(`.jp-opsbook-Thread:not(.jp-mod-resolved)[data-cell-id="${id}"]`)
      .waitFor({ timeout: 15_000 });
    await command(vic.page, 'opsbook:open-comments');
    const vicThread = vic.page.locator(`.jp-opsbook-Thread[data-cell-id="${id}"]`);
    await vicThread.waitFor({ timeout: 15_000 });
    expect(
      await vicThread.locator('.jp-opsbook-Resolve, .jp-opsbook-Reopen, textarea').count()
    ).toBe(0);
    await screenshot(vic.page, 'qa-05-viewer-reads-comments');
  });

  it('shows a long hypothesis title in full, statuses by name, and evidence to a viewer read-only', async () => {
    const title = 'Payment pods are OOM-killed since the 14:00 deploy raised their traffic';
    await command(eve.page, 'opsbook:open-hypotheses');
    await eve.page.locator('[data-key="new-hypothesis"]').click();
    await eve.page.keyboard.type(title);
    await eve.page.keyboard.press('Enter');
    const card = eve.page.locator('.jp-opsbook-Hypothesis').first();
    await card.waitFor({ timeout: 15_000 });
    expect(await card.locator('.jp-opsbook-EvidenceNone').innerText()).toBe('none yet');
    expect(await card.locator('.jp-opsbook-Status option').allInnerTexts()).toEqual([
      'Proposed',
      'Supported',
      'Refuted'
    ]);
    const titleBox = card.locator('.jp-opsbook-HypothesisTitle');
    expect(await titleBox.inputValue()).toBe(title);
    // The whole title is visible: the box is as tall as its wrapped text.
    await eve.page.waitForFunction(() => {
      const box = document.querySelector<HTMLTextAreaElement>('.jp-opsbook-HypothesisTitle');
      return !!box && box.scrollHeight <= box.clientHeight + 1 && box.clientHeight > 20;
    });
    await activate(eve.page, 3);
    const evidenceId = await cellId(eve.page, 3);
    await card.locator('.jp-opsbook-LinkActive').click();
    await card.locator(`.jp-opsbook-EvidenceItem[data-cell-id="${evidenceId}"]`).waitFor();
    expect(await card.locator('.jp-opsbook-LinkActive').isDisabled()).toBe(true);
    await card.locator('.jp-opsbook-Status').selectOption('refuted');
    await card.locator('.jp-opsbook-Verdict').fill('Memory stays flat; the pods were not killed.');
    await card.locator('.jp-opsbook-Verdict').blur();
    await screenshot(eve.page, 'qa-06-eve-hypotheses');

    await command(vic.page, 'opsbook:open-hypotheses');
    const vicCard = vic.page.locator('.jp-opsbook-Hypothesis[data-status="refuted"]');
    await vicCard.waitFor({ timeout: 15_000 });
    await vic.page.waitForFunction(
      () =>
        document.querySelector<HTMLTextAreaElement>('.jp-opsbook-Verdict')?.value ===
        'Memory stays flat; the pods were not killed.',
      undefined,
      { timeout: 15_000 }
    );
    expect(await vicCard.locator('.jp-opsbook-Status').isDisabled()).toBe(true);
    expect(await vicCard.locator('.jp-opsbook-HypothesisTitle').getAttribute('readonly')).toBe('');
    expect(await vicCard.locator('.jp-opsbook-LinkActive, .jp-opsbook-Unlink').count()).toBe(0);
    expect(await vicCard.locator('.jp-opsbook-EvidenceItem').getAttribute('data-cell-id')).toBe(
      evidenceId
    );
    await screenshot(vic.page, 'qa-07-viewer-hypotheses');
  });

  it('shows a telemetry cell Ana runs as running, then its output, to Eve, with who is where', async () => {
    await activate(eve.page, 5);
    await ana.page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
    });
    await command(ana.page, 'opsbook:insert-telemetry-cell');
    await ana.page.locator('.jp-NotebookPanel .jp-Cell.jp-mod-active .cm-content').click();
    await ana.page.keyboard.type('SELECT count(*) AS n FROM range(400000000) t(x) WHERE x % 7 = 3');
    const index = await ana.page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.content.activeCellIndex
    );
    const id = await cellId(ana.page, index);
    await eve.page.waitForFunction(
      id =>
        (window as any).jupyterapp.shell.currentWidget.content.widgets.some(
          (c: any) => c.model.id === id
        ),
      id,
      { timeout: 15_000 }
    );
    await eve.page.evaluate(id => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.widgets.find((c: any) => c.model.id === id).node.scrollIntoView();
    }, id);
    await ana.page.keyboard.press('Shift+Enter');
    const running = eve.page.locator('.jp-opsbook-RunningMark[data-user="ana"]');
    await running.waitFor({ timeout: 30_000 });
    expect(await running.innerText()).toBe('running by Ana Silva');
    await eve.page.evaluate(() =>
      (window as any).jupyterapp.shell.activateById('jp-collaboration-panel')
    );
    await screenshot(eve.page, 'qa-08-eve-sees-ana-running');
    await running.waitFor({ state: 'detached', timeout: 120_000 });
    await eve.page.waitForFunction(
      id => {
        const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets.find(
          (c: any) => c.model.id === id
        );
        return !!cell?.node.querySelector('.jp-opsbook-Table');
      },
      id,
      { timeout: 60_000 }
    );
    await screenshot(eve.page, 'qa-09-eve-sees-ana-output');
  });

  it("offers a viewer the conflict's diff but not the actions only editors can take", async () => {
    const file = path.join(server.notebookDir, NOTEBOOK);
    // Eve types; the file is rewritten before autosave (1 s) could save her edit.
    for (const chunk of [' (eve', ' is', ' typing)']) {
      await eve.page.evaluate(chunk => {
        const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[0];
        const end = cell.model.sharedModel.getSource().length;
        cell.model.sharedModel.updateSource(end, end, chunk);
      }, chunk);
    }
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8'));
    onDisk.cells[0].source = ['# Rewritten by a script'];
    fs.writeFileSync(file, JSON.stringify(onDisk, null, 1));
    const banner = (page: Page) => page.locator('.jp-opsbook-ConflictBanner');
    await Promise.all([
      banner(eve.page).waitFor({ timeout: 20_000 }),
      banner(vic.page).waitFor({ timeout: 20_000 })
    ]);
    expect(await banner(eve.page).getByRole('button', { name: 'Keep mine' }).isVisible()).toBe(
      true
    );
    expect(await banner(vic.page).getByRole('button', { name: 'Keep mine' }).isVisible()).toBe(
      false
    );
    expect(await banner(vic.page).getByRole('button', { name: 'Take the file' }).isVisible()).toBe(
      false
    );
    expect(await banner(vic.page).innerText()).toContain('An editor can keep this version');
    await screenshot(eve.page, 'qa-10-editor-conflict');
    await banner(vic.page).getByRole('button', { name: 'Show the diff' }).click();
    const diff = vic.page.locator('.jp-Dialog-content').filter({ hasText: 'file on disk vs.' });
    await diff.waitFor({ timeout: 20_000 });
    expect(await diff.locator('.jp-Dialog-footer button').allInnerTexts()).toEqual(['Close']);
    await screenshot(vic.page, 'qa-11-viewer-conflict-diff');
    await diff.getByRole('button', { name: 'Close' }).click();
    await banner(eve.page).getByRole('button', { name: 'Keep mine' }).click();
    await banner(vic.page).waitFor({ state: 'hidden', timeout: 20_000 });
  });

  it('explains a save that failed because the folder is read-only, and saves again once it is writable', async () => {
    const file = path.join(server.notebookDir, NOTEBOOK);
    setReadOnly(server.notebookDir, true);
    try {
      await ana.page.evaluate(() => {
        const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[0];
        cell.model.sharedModel.updateSource(0, 0, 'Saved after the folder came back. ');
      });
      await command(ana.page, 'docmanager:save').catch(() => undefined);
      const failed = toast(ana.page, `${NOTEBOOK} was not saved`);
      await failed.waitFor({ timeout: 20_000 });
      expect(await failed.innerText()).toContain('Your edits are kept on the server');
      // The stock dialog ("File Save Error") opens too; close it like a user would.
      const stock = ana.page.locator('.jp-Dialog-content').filter({ hasText: 'File Save Error' });
      await stock.waitFor({ timeout: 10_000 });
      await stock.locator('.jp-Dialog-footer button').last().click();
      await toastsSettled(ana.page);
      await screenshot(ana.page, 'qa-12-save-failed');
      expect(fs.readFileSync(file, 'utf8')).not.toContain('Saved after the folder came back.');
    } finally {
      setReadOnly(server.notebookDir, false);
    }
    const failed = toast(ana.page, `${NOTEBOOK} was not saved`);
    await failed.getByRole('button', { name: 'Save again' }).click();
    let saved = '';
    for (let i = 0; i < 100 && !saved.includes('Saved after the folder came back.'); i++) {
      saved = fs.readFileSync(file, 'utf8');
      await ana.page.waitForTimeout(100);
    }
    expect(saved).toContain('Saved after the folder came back.');
    // Saved after all: the explanation goes away.
    await failed.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('tells a user who chose Continue after a server restart that the notebook is disconnected', async () => {
    await eve.page.context().close();
    await vic.page.context().close();
    server = await server.restart();
    const expired = ana.page.locator('.jp-Dialog-content').filter({ hasText: 'Session expired' });
    await expired.waitFor({ timeout: 30_000 });
    await expired.getByRole('button', { name: 'Continue' }).click();
    const banner = ana.page.locator('.jp-opsbook-DisconnectedBanner');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.innerText()).toContain(`${NOTEBOOK} is disconnected from the server`);
    expect(await banner.getByRole('button', { name: 'Reload' }).isVisible()).toBe(true);
    expect(
      await ana.page.evaluate(() =>
        (window as any).jupyterapp.shell.currentWidget.content.widgets.every((c: any) => c.readOnly)
      )
    ).toBe(true);
    await screenshot(ana.page, 'qa-13-disconnected');
  });
});
