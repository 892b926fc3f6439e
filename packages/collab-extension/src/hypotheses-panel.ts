/**
 * The Hypotheses side panel: propose a hypothesis, then for each one edit its title, status
 * (proposed / supported / refuted) and verdict, link the active cell as evidence, and jump to or
 * unlink evidence cells. Every edit goes straight to the shared document.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import {
  addHypothesis,
  HYPOTHESIS_STATUSES,
  linkEvidence,
  readHypotheses,
  unlinkEvidence,
  updateHypothesis,
  type Hypothesis,
  type HypothesisStatus
} from '@opsbook/collab-model';
import { cellLabel, displayName, localUsername, peersOf, revealCell, sharedOf } from './session';
import { button, h, NotebookSidePanel, shortTime, type ISidePanelOptions } from './side-panel';

/** The Hypotheses panel. */
export class HypothesesPanel extends NotebookSidePanel {
  constructor(options: ISidePanelOptions) {
    super(options);
  }

  /** Proposes a hypothesis as the local user; returns its id. */
  propose(title: string): string | null {
    const panel = this.notebook;
    if (!panel || !title.trim()) {
      return null;
    }
    const { ydoc, awareness } = sharedOf(panel);
    return addHypothesis(ydoc, {
      title: title.trim(),
      author: localUsername(awareness, this.me())
    });
  }

  /** Links the active cell as evidence of hypothesis `id`; false without an active cell. */
  linkActiveCell(id: string): boolean {
    const panel = this.notebook;
    const cellId = panel?.content.activeCell?.model.id;
    return !!panel && !!cellId && linkEvidence(sharedOf(panel).ydoc, id, cellId);
  }

  protected draw(panel: NotebookPanel | null): HTMLElement {
    const body = h('div', 'jp-opsbook-PanelBody');
    body.append(h('h2', 'jp-opsbook-PanelTitle', 'Hypotheses'));
    if (!panel) {
      body.append(h('p', 'jp-opsbook-Empty', 'Open a notebook to see its hypotheses.'));
      return body;
    }
    const composer = h('div', 'jp-opsbook-Composer');
    const input = h('input', 'jp-opsbook-Input');
    input.dataset.key = 'new-hypothesis';
    input.placeholder = 'New hypothesis, e.g. "DB connection pool exhausted"';
    const submit = () => {
      if (this.propose(input.value)) {
        this.clearDraft('new-hypothesis');
        input.value = '';
        this.scheduleRender();
      }
    };
    input.addEventListener('keydown', event => {
      event.stopPropagation();
      if (event.key === 'Enter') {
        submit();
      }
    });
    composer.append(input, button('jp-opsbook-Submit', 'Add', submit));
    body.append(composer);
    const list = h('div', 'jp-opsbook-HypothesisList');
    const hypotheses = readHypotheses(sharedOf(panel).ydoc);
    if (!hypotheses.length) {
      list.append(h('p', 'jp-opsbook-Empty', 'No hypotheses yet.'));
    }
    for (const hypothesis of hypotheses) {
      list.append(this.drawHypothesis(panel, hypothesis));
    }
    body.append(list);
    return body;
  }

  private drawHypothesis(panel: NotebookPanel, hypothesis: Hypothesis): HTMLElement {
    const { ydoc, awareness } = sharedOf(panel);
    const id = hypothesis.id;
    const node = h('div', `jp-opsbook-Hypothesis jp-mod-${hypothesis.status}`);
    node.dataset.id = id;
    node.dataset.status = hypothesis.status;

    const title = h('input', 'jp-opsbook-Input jp-opsbook-HypothesisTitle');
    title.dataset.key = `title:${id}`;
    title.value = hypothesis.title;
    title.addEventListener('keydown', event => {
      event.stopPropagation();
      if (event.key === 'Enter') {
        title.blur();
      }
    });
    title.addEventListener('change', () => {
      if (title.value.trim() && title.value !== hypothesis.title) {
        updateHypothesis(ydoc, id, { title: title.value.trim() });
      }
    });

    const status = h('select', 'jp-opsbook-Status');
    status.dataset.key = `status:${id}`;
    for (const value of HYPOTHESIS_STATUSES) {
      const option = h('option', '', value);
      option.value = value;
      option.selected = value === hypothesis.status;
      status.append(option);
    }
    status.addEventListener('change', () =>
      updateHypothesis(ydoc, id, { status: status.value as HypothesisStatus })
    );
    const head = h('div', 'jp-opsbook-HypothesisHead');
    head.append(title, status);

    const verdict = h('textarea', 'jp-opsbook-Textarea jp-opsbook-Verdict');
    verdict.dataset.key = `verdict:${id}`;
    verdict.placeholder = 'Verdict: what the evidence shows';
    verdict.rows = 2;
    verdict.value = hypothesis.verdict;
    verdict.addEventListener('keydown', event => event.stopPropagation());
    verdict.addEventListener('change', () => {
      if (verdict.value !== hypothesis.verdict) {
        updateHypothesis(ydoc, id, { verdict: verdict.value });
      }
    });

    const evidence = h('div', 'jp-opsbook-Evidence');
    evidence.append(h('span', 'jp-opsbook-Label', 'Evidence:'));
    for (const cellId of hypothesis.evidence) {
      const item = h('span', 'jp-opsbook-EvidenceItem');
      item.dataset.cellId = cellId;
      item.append(
        button('jp-opsbook-CellLink', cellLabel(panel, cellId), () => revealCell(panel, cellId)),
        button('jp-opsbook-Unlink', '\u00d7', () => unlinkEvidence(ydoc, id, cellId))
      );
      item.lastElementChild!.setAttribute('title', 'Unlink this cell');
      evidence.append(item);
    }
    evidence.append(
      button('jp-opsbook-LinkActive', '+ Link active cell', () => this.linkActiveCell(id))
    );

    const author = peersOf(awareness).find(p => p.user.username === hypothesis.author)?.user;
    const meta = h(
      'div',
      'jp-opsbook-HypothesisMeta',
      `by ${displayName(author, hypothesis.author)} · updated ${shortTime(hypothesis.updated)}`
    );
    node.append(head, verdict, evidence, meta);
    return node;
  }
}
