/**
 * SQL completion for the DuckDB kernel: dataset (table) names, their columns, and SQL keywords,
 * matched on the word before the cursor. After `table.` only that table's columns are offered.
 */
import type { DatasetDescriptor } from '@opsbook/query-engine';

const KEYWORDS = [
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP BY',
  'ORDER BY',
  'HAVING',
  'LIMIT',
  'WITH',
  'AS',
  'JOIN',
  'LEFT JOIN',
  'ON',
  'USING',
  'AND',
  'OR',
  'NOT',
  'IN',
  'BETWEEN',
  'LIKE',
  'ILIKE',
  'IS NULL',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'DISTINCT',
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'quantile_cont',
  'approx_quantile',
  'date_trunc',
  'time_bucket',
  'epoch_ms',
  'INTERVAL',
  'TIMESTAMP',
  'OVER',
  'PARTITION BY',
  'QUALIFY',
  'DESC',
  'ASC',
  'FILTER',
  'count_if',
  'arg_max'
];

/** A completion reply's matches and the range they replace. */
export interface Completion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  /** Per match: its kind ('table', 'column', 'keyword') and, for columns, its type. */
  types: { text: string; type: string; start: number; end: number }[];
}

/** Completes the word that ends at `cursor` in `code`. */
export function complete(code: string, cursor: number, datasets: DatasetDescriptor[]): Completion {
  const before = code.slice(0, cursor);
  const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before)?.[0] ?? '';
  const start = cursor - word.length;
  const qualifier = /([A-Za-z_][A-Za-z0-9_]*)\.$/.exec(before.slice(0, start))?.[1];
  const lower = word.toLowerCase();
  const candidates: { text: string; type: string }[] = [];
  if (qualifier) {
    const table = datasets.find(d => d.name === qualifier);
    table?.columns.forEach(c => candidates.push({ text: c.name, type: `column ${c.type}` }));
  } else {
    datasets.forEach(d => candidates.push({ text: d.name, type: 'table' }));
    const seen = new Set<string>();
    for (const d of datasets) {
      for (const c of d.columns) {
        if (!seen.has(c.name)) {
          seen.add(c.name);
          candidates.push({ text: c.name, type: `column ${c.type}` });
        }
      }
    }
    KEYWORDS.forEach(k => candidates.push({ text: k, type: 'keyword' }));
  }
  const matching = candidates.filter(c => c.text.toLowerCase().startsWith(lower));
  return {
    matches: matching.map(c => c.text),
    cursorStart: start,
    cursorEnd: cursor,
    types: matching.map(c => ({ text: c.text, type: c.type, start, end: cursor }))
  };
}
