/**
 * A JupyterLab dialog whose body is a form that must be valid before it can be accepted.
 * `Dialog` has no validation hook, so the form guards the accept button itself: it is disabled
 * while the form has problems (each shown under its field), and Enter is stopped before the
 * dialog sees it.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

/** A dialog body that validates itself. */
export abstract class FormBody<T> extends Widget implements Dialog.IBodyWidget<T> {
  constructor() {
    super();
    this.addClass('jp-opsbook-Form');
    this.node.addEventListener('input', () => this.validate());
    this.node.addEventListener('change', () => this.validate());
  }

  /** The value the dialog resolves with. */
  abstract getValue(): T;

  /** Problems of the form: field key -> message (empty when valid). */
  protected abstract problems(): Map<string, string>;

  /** Shows the problems under their fields, enables the accept button when none; true if valid. */
  validate(): boolean {
    const problems = this.problems();
    for (const node of this.node.querySelectorAll<HTMLElement>('[data-problem-for]')) {
      const message = problems.get(node.dataset.problemFor!) ?? '';
      node.textContent = message;
      node.hidden = !message;
    }
    const accept = this.node
      .closest('.jp-Dialog-content')
      ?.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    if (accept) {
      accept.disabled = problems.size > 0;
    }
    this.node.dataset.valid = String(problems.size === 0);
    return problems.size === 0;
  }

  protected onAfterAttach(): void {
    // The dialog handles Enter in the capture phase on its own node, above this one: guard from
    // the window so an invalid form is never submitted by Enter.
    window.addEventListener('keydown', this.guardEnter, true);
    requestAnimationFrame(() => this.validate());
  }

  protected onBeforeDetach(): void {
    window.removeEventListener('keydown', this.guardEnter, true);
  }

  private readonly guardEnter = (event: KeyboardEvent): void => {
    const target = event.target as Node | null;
    if (
      event.key === 'Enter' &&
      target &&
      this.node.contains(target) &&
      !(target instanceof HTMLTextAreaElement) &&
      !this.validate()
    ) {
      event.stopPropagation();
      event.preventDefault();
    }
  };
}

/** Shows `body` with Cancel and `accept`; resolves with its value, or null when cancelled. */
export async function showForm<T>(
  title: string,
  body: FormBody<T>,
  accept: string
): Promise<T | null> {
  const result = await showDialog<T>({
    title,
    body,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: accept })],
    focusNodeSelector: 'input, select, textarea'
  });
  return result.button.accept ? result.value : null;
}

/** A labelled field with a problem line under it. */
export function field(label: string, input: HTMLElement, key: string, hint?: string): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'jp-opsbook-Field';
  const text = document.createElement('span');
  text.className = 'jp-opsbook-Field-label';
  text.textContent = label;
  wrap.append(text, input);
  if (hint) {
    const h = document.createElement('span');
    h.className = 'jp-opsbook-Field-hint';
    h.textContent = hint;
    wrap.append(h);
  }
  const problem = document.createElement('span');
  problem.className = 'jp-opsbook-Field-problem';
  problem.dataset.problemFor = key;
  problem.hidden = true;
  wrap.append(problem);
  return wrap;
}

/** A `<select>` of `options` (value, label) with `selected`. */
export function select(
  name: string,
  options: { value: string; label: string }[],
  selected: string
): HTMLSelectElement {
  const node = document.createElement('select');
  node.name = name;
  node.className = 'jp-mod-styled';
  for (const o of options) {
    const option = document.createElement('option');
    option.value = o.value;
    option.textContent = o.label;
    option.selected = o.value === selected;
    node.append(option);
  }
  return node;
}

/** A text `<input>`. */
export function input(name: string, value: string, placeholder = ''): HTMLInputElement {
  const node = document.createElement('input');
  node.name = name;
  node.type = 'text';
  node.className = 'jp-mod-styled';
  node.value = value;
  node.placeholder = placeholder;
  node.spellcheck = false;
  return node;
}
