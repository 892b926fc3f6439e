/**
 * Fixtures shared by the per-cell history tests: a notebook of two telemetry-like cells, and
 * hand-built run records (no apache-arrow in the server's process). The users (owner, editor,
 * viewer) are helpers.ts's `usersFile()`.
 */
import { randomUUID } from 'node:crypto';

import { cellVersionOf } from '@opsbook/provenance/lib/cell-history';

export const NB = 'incident.ipynb';

export function twoCells(): Record<string, unknown> {
  const cell = (id: string, source: string) => ({
    cell_type: 'code',
    execution_count: null,
    id,
    metadata: { opsbook: { version: 1, chart: { mark: 'bar' } } },
    outputs: [],
    source
  });
  return {
    cells: [cell('c1', 'SELECT 1'), cell('c2', 'SELECT 2')],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  };
}

/** An unstamped run record of `cellId` whose version is that of `source`. */
export function runOf(cellId: string, source: string, notebook = NB): Record<string, unknown> {
  return {
    format: 'opsbook.run.v1',
    runId: randomUUID(),
    cellId,
    cellVersion: cellVersionOf(source, { version: 1 }),
    notebook: { path: notebook, fileId: null },
    sql: source,
    parameters: {},
    template: null,
    inputs: [],
    engine: { name: 'duckdb-wasm', version: '1.32.0', settings: {} },
    result: { encoding: 'opsbook.result.v1', hash: 'a'.repeat(64), rowCount: 1, schema: [] },
    parents: [],
    hypothesisId: null,
    rationale: null,
    stamp: null,
    durationMs: 5
  };
}
