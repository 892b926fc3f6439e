/**
 * A comment text box with `@mention` completion: while the caret is after `@partial`, the known
 * collaborators whose username or name matches are offered below the box; click, Tab or Enter
 * inserts `@username `. Ctrl/Cmd+Enter submits.
 */
import { mentionAtCaret } from '@opsbook/collab-model';
import { h } from './side-panel';
import { displayName, type Identity } from './session';

/** Options of `mentionInput`. */
export interface IMentionInputOptions {
  /** Key of the field (drafts and focus are kept by it across redraws). */
  key: string;
  placeholder: string;
  /** The users that can be mentioned. */
  users: () => Identity[];
  /** Called with the text on Ctrl/Cmd+Enter. */
  submit: (text: string) => void;
}

/** A wrapper holding the text box and its suggestion list; the text box is `.textarea`. */
export function mentionInput(options: IMentionInputOptions): {
  node: HTMLElement;
  textarea: HTMLTextAreaElement;
} {
  const node = h('div', 'jp-opsbook-MentionInput');
  const textarea = h('textarea', 'jp-opsbook-Textarea');
  textarea.dataset.key = options.key;
  textarea.placeholder = options.placeholder;
  textarea.rows = 2;
  const list = h('div', 'jp-opsbook-MentionList');
  node.append(textarea, list);
  let matches: Identity[] = [];

  const insert = (user: Identity) => {
    const caret = textarea.selectionStart ?? textarea.value.length;
    const before = textarea.value.slice(0, caret);
    const partial = mentionAtCaret(before) ?? '';
    const start = caret - partial.length;
    const text = `${textarea.value.slice(0, start)}${user.username} ${textarea.value.slice(caret)}`;
    textarea.value = text;
    const position = start + user.username.length + 1;
    textarea.setSelectionRange(position, position);
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    textarea.focus();
  };

  const refresh = () => {
    const caret = textarea.selectionStart ?? textarea.value.length;
    const partial = mentionAtCaret(textarea.value.slice(0, caret));
    const needle = (partial ?? '').toLowerCase();
    matches =
      partial === null
        ? []
        : options
            .users()
            .filter(
              u =>
                u.username.toLowerCase().startsWith(needle) ||
                displayName(u).toLowerCase().includes(needle)
            )
            .slice(0, 8);
    list.replaceChildren(
      ...matches.map(user => {
        const option = h('button', 'jp-opsbook-MentionOption', `@${user.username}`);
        option.dataset.username = user.username;
        option.title = displayName(user);
        option.append(h('span', 'jp-opsbook-MentionName', ` ${displayName(user)}`));
        option.addEventListener('mousedown', event => {
          event.preventDefault();
          insert(user);
        });
        return option;
      })
    );
    list.classList.toggle('jp-mod-open', matches.length > 0);
  };

  textarea.addEventListener('input', refresh);
  textarea.addEventListener('click', refresh);
  textarea.addEventListener('blur', () => list.classList.remove('jp-mod-open'));
  textarea.addEventListener('keydown', event => {
    if ((event.key === 'Tab' || event.key === 'Enter') && matches.length && !event.ctrlKey) {
      event.preventDefault();
      insert(matches[0]);
    } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (textarea.value.trim()) {
        options.submit(textarea.value.trim());
      }
    }
    // Keep notebook shortcuts (a, b, dd, ...) from firing while typing here.
    event.stopPropagation();
  });
  return { node, textarea };
}
