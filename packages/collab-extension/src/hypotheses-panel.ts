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
    const writer = this.canWrite();
    if (writer) {
      body.append(this.drawComposer());
    } else {
      body.append(
        h(
          'p',
          'jp-opsbook-ViewerNote',
          'You are a viewer: you can read the hypotheses, but not propose or change them.'
        )
      );
    }
    const list = h('div', 'jp-opsbook-HypothesisList');
    const hypotheses = readHypotheses(sharedOf(panel).ydoc);
    if (!hypotheses.length) {
      list.append(
        h(
          'p',
          'jp-opsbook-Empty',
          writer
            ? 'No hypotheses yet. Propose one above, then link the cells that support or refute it.'
            : 'No hypotheses yet.'
        )
      );
    }
    for (const hypothesis of hypotheses) {
      list.append(this.drawHypothesis(panel, hypothesis, writer));
    }
    body.append(list);
    return body;
  }

  /** The box that proposes a hypothesis. */
  private drawComposer(): HTMLElement {
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
    return composer;
  }

  private drawHypothesis(
    panel: NotebookPanel,
    hypothesis: Hypothesis,
    writer: boolean
  ): HTMLElement {
    const { ydoc, awareness } = sharedOf(panel);
    const id = hypothesis.id;
    const node = h('div', `jp-opsbook-Hypothesis jp-mod-${hypothesis.status}`);
    node.dataset.id = id;
    node.dataset.status = hypothesis.status;

    // A text area as tall as its text: a long title wraps instead of being cut off.
    const title = h('textarea', 'jp-opsbook-Textarea jp-opsbook-HypothesisTitle');
    title.dataset.key = `title:${id}`;
    title.rows = 1;
    title.value = hypothesis.title;
    title.readOnly = !writer;
    title.addEventListener('keydown', event => {
      event.stopPropagation();
      if (event.key === 'Enter') {
        event.preventDefault();
        title.blur();
      }
    });
    title.addEventListener('input', () => fitHeight(title));
    requestAnimationFrame(() => fitHeight(title));
    title.addEventListener('change', () => {
      if (title.value.trim() && title.value !== hypothesis.title) {
        updateHypothesis(ydoc, id, { title: title.value.trim() });
      }
    });

    const status = h('select', 'jp-opsbook-Status');
    status.dataset.key = `status:${id}`;
    status.disabled = !writer;
    status.title = 'Where the investigation stands on this hypothesis';
    for (const value of HYPOTHESIS_STATUSES) {
      const option = h('option', '', STATUS_LABELS[value]);
      option.value = value;
      option.selected = value === hypothesis.status;
      status.append(option);
    }
    status.addEventListener('change', () =>
      updateHypothesis(ydoc, id, { status: status.value as HypothesisStatus })
    );
    // The title has the whole width (beside the status, a long one used to be cut off).
    const head = h('div', 'jp-opsbook-HypothesisHead');
    const statusLabel = h('label', 'jp-opsbook-Label', 'Status:');
    head.append(statusLabel, status);

    const verdict = h('textarea', 'jp-opsbook-Textarea jp-opsbook-Verdict');
    verdict.dataset.key = `verdict:${id}`;
    verdict.placeholder = 'Verdict: what the evidence shows';
    verdict.rows = 2;
    verdict.value = hypothesis.verdict;
    verdict.readOnly = !writer;
    if (!writer && !hypothesis.verdict) {
      verdict.placeholder = 'No verdict yet';
    }
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
        button('jp-opsbook-CellLink', cellLabel(panel, cellId), () => revealCell(panel, cellId))
      );
      if (writer) {
        const unlink = button('jp-opsbook-Unlink', '\u00d7', () =>
          unlinkEvidence(ydoc, id, cellId)
        );
        unlink.title = 'Unlink this cell';
        item.append(unlink);
      }
      evidence.append(item);
    }
    if (!hypothesis.evidence.length) {
      evidence.append(h('span', 'jp-opsbook-EvidenceNone', 'none yet'));
    }
    if (writer) {
      const active = panel.content.activeCell?.model.id;
      const link = button('jp-opsbook-LinkActive', '+ Link active cell', () =>
        this.linkActiveCell(id)
      );
      link.title = active
        ? `Link ${cellLabel(panel, active)} (the active cell) as evidence`
        : 'Select a cell first';
      link.disabled = !active || hypothesis.evidence.includes(active);
      if (active && hypothesis.evidence.includes(active)) {
        link.title = `${cellLabel(panel, active)} is already linked`;
      }
      evidence.append(link);
    }

    const author = peersOf(awareness).find(p => p.user.username === hypothesis.author)?.user;
    const meta = h(
      'div',
      'jp-opsbook-HypothesisMeta',
      `by ${displayName(author, hypothesis.author)} · updated ${shortTime(hypothesis.updated)}`
    );
    node.append(title, head, verdict, evidence, meta);
    return node;
  }
}

/** Makes a text area exactly as tall as its text. */
function fitHeight(area: HTMLTextAreaElement): void {
  // A hidden panel has no layout (height 0): it is fitted when shown (`onAfterShow` redraws).
  if (area.isConnected && area.offsetParent !== null) {
    area.style.height = 'auto';
    area.style.height = `${area.scrollHeight + (area.offsetHeight - area.clientHeight)}px`;
  }
}

/** How each status is shown (the stored value stays lower case). */
const STATUS_LABELS: Record<HypothesisStatus, string> = {
  proposed: 'Proposed',
  supported: 'Supported',
  refuted: 'Refuted'
};
