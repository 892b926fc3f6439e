/**
 * The diff part of the Cell History panel, as plain DOM: the source line diff (+/- lines in
 * hunks), the parameter diff, and the result diff of two runs (schema changes, then rows added,
 * removed and changed, with the first few of each). The diffs themselves come from
 * @opsbook/provenance `diffSource`, `diffParameters` and `diffResultTables`.
 */
import {
  diffParameters,
  diffResultTables,
  diffSource,
  type DiffValue,
  type JsonValue,
  type ResultTableDiff
} from '@opsbook/provenance';
import type { ResultTable } from '@opsbook/telemetry-cell';

/** How many rows of each kind (added, removed, changed) the result diff lists. */
export const LISTED_DIFF_ROWS = 5;

/** A result replayed for a diff: its first rows, its full row count, and whether it reproduced. */
export interface ReplayedResult {
  table: ResultTable;
  rows: number;
  reproduced: boolean;
}

/** What the result part of a diff shows. */
export type ResultDiffState =
  | { status: 'none'; reason: string }
  | { status: 'running' }
  | { status: 'failed'; message: string }
  | { status: 'done'; a: ReplayedResult; b: ReplayedResult };

/** One side of a diff: a label, the source and the parameters. */
export interface DiffSide {
  label: string;
  source: string;
  parameters: { [key: string]: JsonValue };
}

/** The whole diff view of two timeline entries (older first). */
export function renderDiff(a: DiffSide, b: DiffSide, result: ResultDiffState): HTMLElement {
  const box = el('section', 'jp-opsbook-History-diff');
  box.append(el('h3', 'jp-opsbook-History-diffTitle', `${a.label} → ${b.label}`));
  box.append(el('h4', '', 'Source'), renderSourceDiff(a.source, b.source));
  box.append(el('h4', '', 'Parameters'), renderParameterDiff(a.parameters, b.parameters));
  box.append(el('h4', '', 'Result'), renderResultDiff(result));
  return box;
}

function renderSourceDiff(a: string, b: string): HTMLElement {
  const diff = diffSource(a, b);
  if (diff.same) {
    return el('p', 'jp-opsbook-History-note jp-opsbook-History-sourceSame', 'Same source.');
  }
  const box = el('div', 'jp-opsbook-History-sourceDiff');
  box.append(
    el('p', 'jp-opsbook-History-note', `${diff.added} line(s) added, ${diff.removed} removed.`)
  );
  const pre = el('pre', 'jp-opsbook-History-lines');
  for (const hunk of diff.hunks) {
    pre.append(
      el(
        'div',
        'jp-opsbook-History-hunk',
        `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`
      )
    );
    for (const line of hunk.lines) {
      const sign = line.kind === 'add' ? '+' : line.kind === 'remove' ? '-' : ' ';
      const cls =
        line.kind === 'add' ? 'jp-mod-added' : line.kind === 'remove' ? 'jp-mod-removed' : '';
      pre.append(el('div', `jp-opsbook-History-line ${cls}`.trim(), `${sign} ${line.text}`));
    }
  }
  box.append(pre);
  return box;
}

function renderParameterDiff(
  a: { [key: string]: JsonValue },
  b: { [key: string]: JsonValue }
): HTMLElement {
  const diff = diffParameters(a, b);
  if (diff.same) {
    return el('p', 'jp-opsbook-History-note', 'Same parameters.');
  }
  const list = el('ul', 'jp-opsbook-History-rows');
  for (const p of diff.added) {
    list.append(el('li', 'jp-mod-added', `+ ${p.key} = ${JSON.stringify(p.value)}`));
  }
  for (const p of diff.removed) {
    list.append(el('li', 'jp-mod-removed', `- ${p.key} = ${JSON.stringify(p.value)}`));
  }
  for (const p of diff.changed) {
    list.append(
      el('li', 'jp-mod-changed', `~ ${p.key}: ${JSON.stringify(p.from)} → ${JSON.stringify(p.to)}`)
    );
  }
  return list;
}

function renderResultDiff(state: ResultDiffState): HTMLElement {
  const box = el('div', 'jp-opsbook-History-resultDiff');
  if (state.status === 'none') {
    box.append(el('p', 'jp-opsbook-History-note', state.reason));
    return box;
  }
  if (state.status === 'running') {
    box.append(
      el('p', 'jp-opsbook-History-note', 'Replaying both runs on their pinned snapshots…')
    );
    return box;
  }
  if (state.status === 'failed') {
    box.append(el('p', 'jp-opsbook-History-error', `Could not replay: ${state.message}`));
    return box;
  }
  const { a, b } = state;
  const diff = diffResultTables(a.table, b.table);
  const compared = Math.max(a.table.rows.length, b.table.rows.length);
  box.append(
    el(
      'p',
      'jp-opsbook-History-resultCounts',
      `Rows: ${fmt(a.rows)} → ${fmt(b.rows)}.` +
        (compared < Math.max(a.rows, b.rows) ? ` Compared the first ${fmt(compared)}.` : '')
    )
  );
  for (const [side, r] of [
    ['first', a],
    ['second', b]
  ] as const) {
    if (!r.reproduced) {
      box.append(
        el(
          'p',
          'jp-opsbook-History-warn',
          `The ${side} run did not reproduce its recorded hash: its replayed rows are shown.`
        )
      );
    }
  }
  box.append(renderSchemaChanges(diff));
  if (diff.same) {
    box.append(el('p', 'jp-opsbook-History-note', 'Same rows.'));
    return box;
  }
  box.append(
    el(
      'p',
      'jp-opsbook-History-summary',
      `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ` +
        `${diff.unchanged} unchanged` +
        (diff.key.length ? ` (rows matched on ${diff.key.join(', ')})` : '') +
        '.'
    )
  );
  const columns = diff.columns;
  const list = el('ul', 'jp-opsbook-History-rows');
  const more = (n: number) => {
    if (n > LISTED_DIFF_ROWS) {
      list.append(el('li', 'jp-opsbook-History-note', `… ${n - LISTED_DIFF_ROWS} more`));
    }
  };
  for (const row of diff.added.slice(0, LISTED_DIFF_ROWS)) {
    list.append(el('li', 'jp-mod-added', `+ ${rowText(columns, row)}`));
  }
  more(diff.added.length);
  for (const row of diff.removed.slice(0, LISTED_DIFF_ROWS)) {
    list.append(el('li', 'jp-mod-removed', `- ${rowText(columns, row)}`));
  }
  more(diff.removed.length);
  for (const change of diff.changed.slice(0, LISTED_DIFF_ROWS)) {
    const key = diff.key.map((k, i) => `${k}=${value(change.key[i])}`).join(', ');
    const values = change.changedColumns
      .map(c => {
        const i = columns.indexOf(c);
        return `${c}: ${value(change.before[i])} → ${value(change.after[i])}`;
      })
      .join(', ');
    list.append(el('li', 'jp-mod-changed', `~ ${key}: ${values}`));
  }
  more(diff.changed.length);
  box.append(list);
  return box;
}

function renderSchemaChanges(diff: ResultTableDiff): HTMLElement {
  const { added, removed, retyped } = diff.schema;
  if (!added.length && !removed.length && !retyped.length) {
    return el('p', 'jp-opsbook-History-note', 'Same columns.');
  }
  const list = el('ul', 'jp-opsbook-History-rows jp-opsbook-History-schema');
  for (const c of added) list.append(el('li', 'jp-mod-added', `+ column ${c.name} (${c.type})`));
  for (const c of removed) {
    list.append(el('li', 'jp-mod-removed', `- column ${c.name} (${c.type})`));
  }
  for (const c of retyped) {
    list.append(el('li', 'jp-mod-changed', `~ column ${c.name}: ${c.from} → ${c.to}`));
  }
  return list;
}

const value = (v: DiffValue) => (v === null ? 'NULL' : String(v));
const rowText = (columns: string[], row: DiffValue[]) =>
  columns.map((c, i) => `${c}=${value(row[i])}`).join(', ');
const fmt = (n: number) => n.toLocaleString('en-US');

/** A new element with a class and optional text. */
export function el(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
