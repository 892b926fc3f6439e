/**
 * A notice above a notebook (in the panel's content header): a message and action buttons, as a
 * banner rather than a modal dialog, because what it reports belongs to the notebook (a
 * conflict with the file, a lost connection) and must not interrupt anyone while they type.
 * Used by the conflict banner and the disconnection banner.
 */
import { Widget } from '@lumino/widgets';

/** Looks of a banner button, as JupyterLab's dialog buttons: `accept` is the main action. */
export type BannerButtonKind = 'accept' | 'warn' | 'reject';

/** A banner; subclasses fill `message` and `actions` and call `showBanner()`. */
export class NotebookBanner extends Widget {
  /** `className` names the banner; its parts are `<className>-message` and `-actions`. */
  constructor(className: string) {
    super();
    this.addClass('jp-opsbook-Banner');
    this.addClass(className);
    this.node.setAttribute('role', 'alert');
    this.message = document.createElement('span');
    this.message.className = `jp-opsbook-Banner-message ${className}-message`;
    this.actions = document.createElement('span');
    this.actions.className = `jp-opsbook-Banner-actions ${className}-actions`;
    this.node.append(this.message, this.actions);
    this.hide();
  }

  /** A button in JupyterLab's dialog style. */
  protected button(
    label: string,
    title: string,
    kind: BannerButtonKind,
    onClick: () => void
  ): HTMLButtonElement {
    const button = document.createElement('button');
    button.className = `jp-Button jp-mod-styled jp-mod-${kind} jp-opsbook-Banner-button`;
    button.textContent = label;
    button.title = title;
    button.addEventListener('click', onClick);
    return button;
  }

  /** Shows the banner and gives it the height of its text. */
  protected showBanner(): void {
    this.show();
    this.fitToText();
  }

  /** Re-measures when the width changes (the text wraps differently). */
  protected override onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    if (msg.width >= 0 && msg.width !== this.lastWidth && this.isVisible) {
      this.lastWidth = msg.width;
      this.fitToText();
    }
  }

  /**
   * Gives the banner the height of its text: the notebook panel's content header is a Lumino
   * BoxPanel, which sizes a child from its CSS min-height only (0 otherwise, the banner would
   * be hidden under the notebook).
   */
  protected fitToText(): void {
    // Lumino's `contain: strict` ignores the content's size: lift it while measuring.
    const { height, contain } = this.node.style;
    Object.assign(this.node.style, { height: 'auto', contain: 'none', minHeight: '' });
    const natural = this.node.offsetHeight;
    Object.assign(this.node.style, { height, contain });
    if (natural > 0) {
      this.node.style.minHeight = `${natural}px`;
    }
    this.parent?.fit();
  }

  /** The text of the banner. */
  protected readonly message: HTMLSpanElement;
  /** Where the buttons go. */
  protected readonly actions: HTMLSpanElement;
  private lastWidth = -1;
}
