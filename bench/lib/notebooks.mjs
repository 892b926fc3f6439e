/**
 * The example queries (the telemetry cells of examples/checkout-incident.ipynb) and the
 * one-cell notebooks the browser benchmarks open to run each of them on its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './util.mjs';

export const EXAMPLE = path.join(ROOT, 'examples', 'checkout-incident.ipynb');

const text = source => (Array.isArray(source) ? source.join('') : source);

/**
 * The telemetry cells in order: `{ key, title, sql, metadata }`; `key` is q1, q2, ... and `title`
 * the heading of the markdown cell above (with a suffix when a heading has several queries).
 */
export function exampleQueries() {
  const notebook = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const out = [];
  let heading = '';
  let underHeading = 0;
  for (const cell of notebook.cells) {
    if (cell.cell_type === 'markdown') {
      const m = /^#+\s*(?:\d+\.\s*)?(.+)$/m.exec(text(cell.source));
      if (m) {
        heading = m[1].trim();
        underHeading = 0;
      }
    } else if (cell.cell_type === 'code' && cell.metadata?.opsbook?.kind === 'telemetry') {
      underHeading++;
      out.push({
        key: `q${out.length + 1}`,
        title: underHeading > 1 ? `${heading} (${underHeading})` : heading,
        sql: text(cell.source),
        metadata: cell.metadata
      });
    }
  }
  return out;
}

/**
 * Writes a notebook holding `cells` (`{ sql, metadata }`) as telemetry code cells, followed by a
 * markdown cell: the toolbar's Run button runs and advances, and on the last cell it would insert
 * a new cell, changing the shared document between runs.
 */
export function writeNotebook(dir, name, cells) {
  const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const notebook = {
    nbformat: example.nbformat,
    nbformat_minor: example.nbformat_minor,
    metadata: example.metadata,
    cells: [
      ...cells.map((c, i) => ({
        id: `bench-${i + 1}`,
        cell_type: 'code',
        execution_count: null,
        metadata: c.metadata ?? { opsbook: { version: 1, kind: 'telemetry' } },
        outputs: [],
        source: c.sql
      })),
      { id: 'bench-end', cell_type: 'markdown', metadata: {}, source: 'End of the benchmark notebook.' }
    ]
  };
  fs.writeFileSync(path.join(dir, name), JSON.stringify(notebook, null, 1));
  return name;
}

/** Copies the example notebook into `dir` unchanged, as `name` (default: its own name). */
export function copyExample(dir, name = path.basename(EXAMPLE)) {
  fs.copyFileSync(EXAMPLE, path.join(dir, name));
  return name;
}
