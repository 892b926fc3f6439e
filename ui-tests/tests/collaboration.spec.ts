/**
 * Issue #3, end to end in Chromium with two users (Ana and Ben, each in their own browser context
 * with their own token from a users file): edits and new cells travel both ways, a telemetry cell
 * run by Ana shows Ben its running state and output, comments and hypotheses sync both ways,
 * collaborators are named from the users file, and comments and hypotheses are saved in the
 * notebook's metadata and come back after the server restarts.
 */
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
  ANA,
  BEN,
  activateCell as activate,
  cellSources as sources,
  cellIdAt as cellId
} from '../harness';

const NOTEBOOK = 'checkout-incident.ipynb';

/** The cell node with model id `id`, as a selector-friendly locator. */
function cellById(page: Page, id: string) {
  return page.locator(`.jp-NotebookPanel .jp-Cell[data-opsbook-cell-id="${id}"]`);
}

/** Tags every cell node with its model id so tests can find it by id. */
async function tagCells(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const cell of (window as any).jupyterapp.shell.currentWidget.content.widgets) {
      cell.node.dataset.opsbookCellId = cell.model.id;
    }
  });
}

describe('two users debugging together', () => {
  let server: ServerHandle;
  let browser: Browser;
  let usersFile: string;
  let ana: RecordedPage;
  let ben: RecordedPage;

  beforeAll(async () => {
    usersFile = writeUsersFile([ANA, BEN]);
    server = await startServer({ usersFile });
    browser = await launchBrowser();
    ana = await openPage(browser);
    ben = await openPage(browser);
    await openNotebookAs(ana.page, server, NOTEBOOK, ANA.token);
    await openNotebookAs(ben.page, server, NOTEBOOK, BEN.token);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("names each collaborator from the server's users file", async () => {
    const seen = async (page: Page) =>
      page.waitForFunction(
        () => {
          const awareness = (window as any).jupyterapp.shell.currentWidget.context.model.sharedModel
            .awareness;
          const users = [...awareness.getStates().values()].map((s: any) => s.user).filter(Boolean);
          return users.length >= 2
            ? users.map((u: any) => `${u.username}:${u.display_name}`)
            : null;
        },
        undefined,
        { timeout: 30_000 }
      );
    const fromAna = (await (await seen(ana.page)).jsonValue()) as string[];
    const fromBen = (await (await seen(ben.page)).jsonValue()) as string[];
    expect(fromAna.sort()).toEqual(['ana:Ana Silva', 'ben:Ben Ortiz']);
    expect(fromBen.sort()).toEqual(['ana:Ana Silva', 'ben:Ben Ortiz']);
  });

  it("shows Ben's avatar on the cell he is in, in Ana's notebook", async () => {
    await activate(ben.page, 1);
    const id = await cellId(ben.page, 1);
    await tagCells(ana.page);
    const avatar = cellById(ana.page, id).locator('.jp-opsbook-Avatar[data-user="ben"]');
    await avatar.waitFor({ timeout: 15_000 });
    expect(await avatar.getAttribute('title')).toBe('Ben Ortiz is in this cell');
  });

  it("shows Ana's edits and new cells to Ben, and Ben's edits to Ana", async () => {
    const before = (await sources(ana.page)).length;
    await activate(ana.page, 0);
    await command(ana.page, 'notebook:insert-cell-below');
    await command(ana.page, 'notebook:enter-edit-mode');
    await ana.page.keyboard.type('Note from Ana: the spike starts at 14:02.');
    await ben.page.waitForFunction(
      n => (window as any).jupyterapp.shell.currentWidget.content.widgets.length === n + 1,
      before,
      { timeout: 15_000 }
    );
    await ben.page.waitForFunction(
      () =>
        (window as any).jupyterapp.shell.currentWidget.content.widgets[1].model.sharedModel
          .getSource()
          .includes('starts at 14:02.'),
      undefined,
      { timeout: 15_000 }
    );
    await ben.page.evaluate(() => {
      const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[1];
      cell.model.sharedModel.updateSource(cell.model.sharedModel.getSource().length, 0, ' (Ben)');
    });
    await ana.page.waitForFunction(
      () =>
        (window as any).jupyterapp.shell.currentWidget.content.widgets[1].model.sharedModel
          .getSource()
          .endsWith('14:02. (Ben)'),
      undefined,
      { timeout: 15_000 }
    );
    expect((await sources(ben.page))[1]).toBe('Note from Ana: the spike starts at 14:02. (Ben)');
  });

  it('shows Ben the running state and the output of a telemetry cell Ana runs', async () => {
    const { page } = ana;
    await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
    });
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.keyboard.type('SELECT count(*) AS n FROM range(400000000) t(x) WHERE x % 7 = 3');
    const index = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.content.activeCellIndex
    );
    const id = await cellId(page, index);
    // Ben records whether he ever sees the cell running (the [*] prompt or "running by Ana").
    await ben.page.waitForFunction(
      id =>
        (window as any).jupyterapp.shell.currentWidget.content.widgets.some(
          (c: any) => c.model.id === id
        ),
      id,
      { timeout: 15_000 }
    );
    await ben.page.evaluate(id => {
      const w = window as any;
      w.__opsbookSeen = { prompt: false, marker: '' };
      const check = () => {
        const cell = w.jupyterapp.shell.currentWidget.content.widgets.find(
          (c: any) => c.model.id === id
        );
        if (!cell) {
          return;
        }
        if ((cell.node.querySelector('.jp-InputPrompt')?.textContent ?? '').includes('*')) {
          w.__opsbookSeen.prompt = true;
        }
        const marker = cell.node.querySelector('.jp-opsbook-RunningMark');
        if (marker) {
          w.__opsbookSeen.marker = marker.textContent;
        }
      };
      new MutationObserver(check).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true
      });
    }, id);
    await page.keyboard.press('Shift+Enter');
    await ben.page.waitForFunction(
      () => (window as any).__opsbookSeen.marker || (window as any).__opsbookSeen.prompt,
      undefined,
      { timeout: 30_000 }
    );
    await screenshot(ben.page, 'collab-01-ben-sees-ana-running');
    await ben.page.waitForFunction(
      id => {
        const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets.find(
          (c: any) => c.model.id === id
        );
        return (
          !!cell?.node.querySelector('.jp-opsbook-Table') && cell.model.executionCount !== null
        );
      },
      id,
      { timeout: 120_000 }
    );
    const seen = await ben.page.evaluate(() => (window as any).__opsbookSeen);
    expect(seen.marker).toBe('running by Ana Silva');
    await tagCells(ben.page);
    await cellById(ben.page, id).locator('.jp-opsbook-Table').scrollIntoViewIfNeeded();
    expect(await cellById(ben.page, id).locator('.jp-opsbook-RunningMark').count()).toBe(0);
    await screenshot(ben.page, 'collab-02-ben-sees-ana-output');
  });

  it('syncs a comment with an @mention, a reply and the resolution both ways', async () => {
    await activate(ana.page, 2);
    const id = await cellId(ana.page, 2);
    await tagCells(ana.page);
    await cellById(ana.page, id).locator('.jp-opsbook-CommentButton').click();
    const box = ana.page.locator('.jp-opsbook-CommentsPanel [data-key="new"]');
    await box.waitFor();
    await box.click();
    await ana.page.keyboard.type('Error rate jumps here, @be');
    await ana.page.locator('.jp-opsbook-MentionOption[data-username="ben"]').waitFor();
    await ana.page.keyboard.press('Tab');
    await ana.page.keyboard.type('can you check the payment pods?');
    await ana.page.locator('.jp-opsbook-CommentsPanel .jp-opsbook-Submit').click();
    await screenshot(ana.page, 'collab-03-ana-comments');

    await tagCells(ben.page);
    const badge = cellById(ben.page, id).locator('.jp-opsbook-CommentButton.jp-mod-hasComments');
    await badge.waitFor({ timeout: 15_000 });
    expect(await badge.getAttribute('data-count')).toBe('1');
    await badge.click();
    const thread = ben.page.locator(`.jp-opsbook-Thread[data-cell-id="${id}"]`);
    await thread.waitFor();
    expect(await thread.locator('.jp-opsbook-MessageText').first().textContent()).toBe(
      'Error rate jumps here, @ben can you check the payment pods?'
    );
    expect(await thread.locator('.jp-opsbook-Mention').first().textContent()).toBe('@ben');
    expect(await thread.locator('.jp-opsbook-Author').first().textContent()).toBe('Ana Silva');
    await thread.locator('textarea').click();
    await ben.page.keyboard.type('Yes: OOM kills on payment-7f9, @ana');
    await thread.locator('.jp-opsbook-ReplyButton').click();

    const anaThread = ana.page.locator(`.jp-opsbook-Thread[data-cell-id="${id}"]`);
    await anaThread.locator('.jp-opsbook-Message').nth(1).waitFor({ timeout: 15_000 });
    expect(await anaThread.locator('.jp-opsbook-Author').nth(1).textContent()).toBe('Ben Ortiz');
    await screenshot(ana.page, 'collab-04-ana-sees-reply');

    await thread.locator('.jp-opsbook-Resolve').click();
    await anaThread.waitFor({ state: 'detached', timeout: 15_000 });
    await tagCells(ana.page);
    expect(
      await cellById(ana.page, id).locator('.jp-opsbook-CommentButton').getAttribute('data-count')
    ).toBe('0');
  });

  it('syncs hypotheses, their status, verdict and evidence both ways', async () => {
    await command(ben.page, 'opsbook:open-hypotheses');
    const input = ben.page.locator('.jp-opsbook-HypothesesPanel [data-key="new-hypothesis"]');
    await input.click();
    await ben.page.keyboard.type('Payment pods are OOM-killed');
    await ben.page.keyboard.press('Enter');

    await command(ana.page, 'opsbook:open-hypotheses');
    const anaCard = ana.page.locator('.jp-opsbook-Hypothesis').first();
    await anaCard.waitFor({ timeout: 15_000 });
    expect(await anaCard.locator('.jp-opsbook-HypothesisTitle').inputValue()).toBe(
      'Payment pods are OOM-killed'
    );
    await activate(ana.page, 2);
    const evidenceId = await cellId(ana.page, 2);
    await anaCard.locator('.jp-opsbook-LinkActive').click();
    await anaCard.locator('.jp-opsbook-Status').selectOption('supported');
    await anaCard.locator('.jp-opsbook-Verdict').fill('Memory limit 512Mi is too low.');
    await anaCard.locator('.jp-opsbook-Verdict').blur();

    const benCard = ben.page.locator('.jp-opsbook-Hypothesis').first();
    await ben.page.waitForFunction(
      () => {
        const card = document.querySelector<HTMLElement>('.jp-opsbook-Hypothesis');
        return (
          card?.dataset.status === 'supported' &&
          card.querySelector<HTMLTextAreaElement>('.jp-opsbook-Verdict')?.value ===
            'Memory limit 512Mi is too low.'
        );
      },
      undefined,
      { timeout: 15_000 }
    );
    expect(await benCard.locator('.jp-opsbook-EvidenceItem').getAttribute('data-cell-id')).toBe(
      evidenceId
    );
    await benCard.locator('.jp-opsbook-EvidenceItem .jp-opsbook-CellLink').click();
    expect(
      await ben.page.evaluate(
        () => (window as any).jupyterapp.shell.currentWidget.content.activeCell.model.id
      )
    ).toBe(evidenceId);
    await screenshot(ben.page, 'collab-05-ben-hypotheses');
  });

  it('saves comments and hypotheses in the notebook metadata and restores them after a restart', async () => {
    await command(ana.page, 'docmanager:save');
    const file = path.join(server.notebookDir, NOTEBOOK);
    let saved: any = null;
    for (let i = 0; i < 100; i++) {
      saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (saved.metadata?.opsbook?.collaboration?.hypotheses?.length) {
        break;
      }
      await ana.page.waitForTimeout(100);
    }
    const state = saved.metadata.opsbook.collaboration;
    expect(state.version).toBe(1);
    expect(state.comments).toHaveLength(1);
    expect(state.comments[0]).toMatchObject({ author: 'ana', resolved: true, resolvedBy: 'ben' });
    expect(state.comments[0].messages.map((m: any) => m.mentions)).toEqual([['ben'], ['ana']]);
    expect(state.hypotheses[0]).toMatchObject({
      title: 'Payment pods are OOM-killed',
      status: 'supported',
      verdict: 'Memory limit 512Mi is too low.',
      author: 'ben'
    });

    await ana.page.context().close();
    await ben.page.context().close();
    await server.stop();
    server = await startServer({ usersFile, notebookDir: server.notebookDir });
    ana = await openPage(browser);
    await openNotebookAs(ana.page, server, NOTEBOOK, ANA.token);
    await command(ana.page, 'opsbook:open-comments');
    await ana.page.locator('.jp-opsbook-ShowResolved input').check();
    const thread = ana.page.locator('.jp-opsbook-Thread.jp-mod-resolved');
    await thread.waitFor({ timeout: 15_000 });
    expect(await thread.locator('.jp-opsbook-Message').count()).toBe(2);
    await command(ana.page, 'opsbook:open-hypotheses');
    const card = ana.page.locator('.jp-opsbook-Hypothesis[data-status="supported"]');
    await card.waitFor({ timeout: 15_000 });
    await screenshot(ana.page, 'collab-06-after-restart');
    // The restored state is the saved one, and saving again does not duplicate anything.
    const restored = await ana.page.evaluate(() =>
      (window as any).jupyterapp.shell.currentWidget.context.model.sharedModel.ydoc
        .getMap('opsbook')
        .toJSON()
    );
    expect(Object.keys(restored.comments)).toEqual([state.comments[0].id]);
    expect(Object.keys(restored.hypotheses)).toEqual([state.hypotheses[0].id]);
  });
});
