/**
 * The Comments side panel: a new-comment box for the active cell, then every thread of the current
 * notebook (open ones first, resolved ones on request) with its messages, a reply box with
 * @mention completion, and Resolve / Reopen. A thread's cell label jumps to the cell.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import {
  addThread,
  readThreads,
  replyToThread,
  setThreadResolved,
  type CommentMessage,
  type CommentThread
} from '@opsbook/collab-model';
import { mentionInput } from './mention-input';
import {
  cellLabel,
  displayName,
  localUsername,
  peersOf,
  revealCell,
  sharedOf,
  type Identity
} from './session';
import { button, h, NotebookSidePanel, shortTime, type ISidePanelOptions } from './side-panel';

/** The Comments panel. */
export class CommentsPanel extends NotebookSidePanel {
  constructor(options: ISidePanelOptions) {
    super(options);
  }

  /** Focuses the new-comment box (after making `cellId` the active cell, when given). */
  focusNewComment(cellId?: string): void {
    const panel = this.notebook;
    if (panel && cellId) {
      revealCell(panel, cellId);
    }
    this.scheduleRender();
    requestAnimationFrame(() =>
      requestAnimationFrame(() =>
        this.node.querySelector<HTMLTextAreaElement>('[data-key="new"]')?.focus()
      )
    );
  }

  /** Opens a thread on a cell (default: the active one) as the local user; returns its id. */
  comment(text: string, cellId?: string): string | null {
    const panel = this.notebook;
    const target = cellId ?? panel?.content.activeCell?.model.id;
    if (!panel || !target || !text.trim()) {
      return null;
    }
    const { ydoc, awareness } = sharedOf(panel);
    return addThread(ydoc, {
      cellId: target,
      author: localUsername(awareness, this.me()),
      text: text.trim()
    });
  }

  protected draw(panel: NotebookPanel | null): HTMLElement {
    const body = h('div', 'jp-opsbook-PanelBody');
    body.append(h('h2', 'jp-opsbook-PanelTitle', 'Comments'));
    if (!panel) {
      body.append(h('p', 'jp-opsbook-Empty', 'Open a notebook to see its comments.'));
      return body;
    }
    const { ydoc, awareness } = sharedOf(panel);
    const users = knownUsers(panel, this.me());
    const me = localUsername(awareness, this.me());
    const activeId = panel.content.activeCell?.model.id ?? null;

    const writer = this.canWrite();
    if (writer) {
      body.append(this.drawComposer(panel, users, activeId));
    } else {
      body.append(
        h(
          'p',
          'jp-opsbook-ViewerNote',
          'You are a viewer: you can read the comments, but not add, reply to or resolve them.'
        )
      );
    }

    const threads = readThreads(ydoc);
    const open = threads.filter(t => !t.resolved);
    const resolved = threads.filter(t => t.resolved);
    const toggle = h('label', 'jp-opsbook-ShowResolved');
    const checkbox = h('input', '');
    checkbox.type = 'checkbox';
    checkbox.checked = this.showResolved;
    checkbox.addEventListener('change', () => {
      this.showResolved = checkbox.checked;
      this.scheduleRender();
    });
    toggle.append(checkbox, ` Show resolved (${resolved.length})`);
    body.append(toggle);

    const list = h('div', 'jp-opsbook-ThreadList');
    const shown = this.showResolved ? [...open, ...resolved] : open;
    if (!shown.length) {
      const hint =
        threads.length || !writer
          ? 'No open comments.'
          : 'No comments yet. Select a cell and write above; @mention someone to notify them.';
      list.append(h('p', 'jp-opsbook-Empty', hint));
    }
    for (const thread of shown) {
      list.append(this.drawThread(panel, thread, users, me, thread.cellId === activeId, writer));
    }
    body.append(list);
    return body;
  }

  /** The new-comment box on the active cell. */
  private drawComposer(
    panel: NotebookPanel,
    users: Identity[],
    activeId: string | null
  ): HTMLElement {
    const composer = h('div', 'jp-opsbook-Composer');
    composer.append(
      h(
        'div',
        'jp-opsbook-ComposerTarget',
        activeId ? `New comment on ${cellLabel(panel, activeId)}` : 'Select a cell to comment on'
      )
    );
    const submitNew = (text: string) => {
      if (this.comment(text)) {
        this.clearDraft('new');
        this.scheduleRender();
      }
    };
    const input = mentionInput({
      key: 'new',
      placeholder: 'Comment on the active cell; @ to mention (Ctrl+Enter to send)',
      users: () => users,
      submit: submitNew
    });
    composer.append(
      input.node,
      button('jp-opsbook-Submit', 'Comment', () => submitNew(input.textarea.value))
    );
    return composer;
  }

  private drawThread(
    panel: NotebookPanel,
    thread: CommentThread,
    users: Identity[],
    me: string,
    onActiveCell: boolean,
    writer: boolean
  ): HTMLElement {
    const { ydoc } = sharedOf(panel);
    const node = h('div', 'jp-opsbook-Thread');
    node.dataset.threadId = thread.id;
    node.dataset.cellId = thread.cellId;
    node.classList.toggle('jp-mod-resolved', thread.resolved);
    node.classList.toggle('jp-mod-activeCell', onActiveCell);
    node.classList.toggle(
      'jp-mod-mentionsMe',
      thread.messages.some(m => m.author !== me && m.mentions.includes(me))
    );
    const head = h('div', 'jp-opsbook-ThreadHead');
    head.append(
      button('jp-opsbook-CellLink', cellLabel(panel, thread.cellId), () =>
        revealCell(panel, thread.cellId)
      )
    );
    if (thread.resolved) {
      head.append(
        h('span', 'jp-opsbook-Resolved', `Resolved by ${nameOf(users, thread.resolvedBy ?? '')}`)
      );
      if (writer) {
        head.append(
          button('jp-opsbook-Reopen', 'Reopen', () => setThreadResolved(ydoc, thread.id, false, me))
        );
      }
    } else if (writer) {
      head.append(
        button('jp-opsbook-Resolve', 'Resolve', () => setThreadResolved(ydoc, thread.id, true, me))
      );
    }
    node.append(head);
    for (const message of thread.messages) {
      node.append(drawMessage(message, users, me));
    }
    if (!thread.resolved && writer) {
      const key = `reply:${thread.id}`;
      const submit = (text: string) => {
        if (text.trim()) {
          replyToThread(ydoc, { threadId: thread.id, author: me, text: text.trim() });
          this.clearDraft(key);
        }
      };
      const reply = mentionInput({ key, placeholder: 'Reply…', users: () => users, submit });
      node.append(
        reply.node,
        button('jp-opsbook-ReplyButton', 'Reply', () => submit(reply.textarea.value))
      );
    }
    return node;
  }

  private showResolved = false;
}

/** Everyone who can be mentioned: collaborators in the notebook and everyone who commented. */
function knownUsers(panel: NotebookPanel, me: Identity | null): Identity[] {
  const { ydoc, awareness } = sharedOf(panel);
  const users = new Map<string, Identity>();
  if (me) {
    users.set(me.username, me);
  }
  for (const peer of peersOf(awareness)) {
    users.set(peer.user.username, peer.user);
  }
  for (const thread of readThreads(ydoc)) {
    for (const message of thread.messages) {
      if (!users.has(message.author)) {
        users.set(message.author, { username: message.author });
      }
    }
  }
  return [...users.values()].sort((a, b) => a.username.localeCompare(b.username));
}

function nameOf(users: Identity[], username: string): string {
  return displayName(
    users.find(u => u.username === username),
    username
  );
}

function drawMessage(message: CommentMessage, users: Identity[], me: string): HTMLElement {
  const node = h('div', 'jp-opsbook-Message');
  node.dataset.author = message.author;
  const meta = h('div', 'jp-opsbook-MessageMeta');
  meta.append(
    h('span', 'jp-opsbook-Author', nameOf(users, message.author)),
    h('span', 'jp-opsbook-Time', shortTime(message.time))
  );
  const text = h('div', 'jp-opsbook-MessageText');
  // Mentions are highlighted; everything else is text (never HTML).
  for (const part of message.text.split(/(@[A-Za-z0-9_][A-Za-z0-9_.-]*)/)) {
    const name = part.startsWith('@') ? part.slice(1).replace(/[.-]+$/, '') : '';
    if (name && message.mentions.includes(name)) {
      const mention = h(
        'span',
        name === me ? 'jp-opsbook-Mention jp-mod-me' : 'jp-opsbook-Mention',
        `@${name}`
      );
      mention.title = nameOf(users, name);
      text.append(mention, part.slice(name.length + 1));
    } else {
      text.append(part);
    }
  }
  node.append(meta, text);
  return node;
}
