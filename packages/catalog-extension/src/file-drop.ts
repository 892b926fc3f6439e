/**
 * Files dropped on a widget from the desktop: while files are dragged over it the widget has
 * `jp-mod-dropTarget` (the stylesheet shows a drop hint), and the files dropped are handed over.
 * Drags without files (text, a catalog table, Lumino's cell moves) are left alone.
 */
import type { Widget } from '@lumino/widgets';

/** Calls `onFiles` with the files dropped on `widget`. */
export function acceptFileDrops(widget: Widget, onFiles: (files: File[]) => void): void {
  const node = widget.node;
  const hasFiles = (e: DragEvent) => !!e.dataTransfer?.types.includes('Files');
  // dragenter/dragleave fire for every child crossed: count them to know when the drag left.
  let depth = 0;
  node.addEventListener('dragenter', e => {
    if (hasFiles(e)) {
      depth++;
      widget.addClass('jp-mod-dropTarget');
      e.preventDefault();
    }
  });
  node.addEventListener('dragover', e => {
    if (hasFiles(e)) {
      e.preventDefault();
      e.dataTransfer!.dropEffect = 'copy';
    }
  });
  node.addEventListener('dragleave', e => {
    if (hasFiles(e) && --depth <= 0) {
      depth = 0;
      widget.removeClass('jp-mod-dropTarget');
    }
  });
  node.addEventListener('drop', e => {
    depth = 0;
    widget.removeClass('jp-mod-dropTarget');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) {
      e.preventDefault();
      e.stopPropagation();
      onFiles(files);
    }
  });
}
