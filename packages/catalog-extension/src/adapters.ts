/**
 * Input formats offered for uploads: the adapter kinds of `@opsbook/adapters` (its registry.ts
 * `ADAPTER_KINDS`) and the kind pre-selected for a file from its extension, following the same
 * table as `detectAdapterKind` (a trailing `.gz` is ignored). The list is copied rather than
 * imported because `@opsbook/adapters` is a Node package (DuckDB, Arrow) the browser must not load.
 */

/** Adapter kinds with a short label for the picker. */
export const ADAPTER_CHOICES: { kind: string; label: string }[] = [
  { kind: 'otlp', label: 'OTLP/JSON (traces, logs, metrics)' },
  { kind: 'otlp-proto', label: 'OTLP/protobuf' },
  { kind: 'jsonl', label: 'JSON-lines logs' },
  { kind: 'text', label: 'Plain-text logs' },
  { kind: 'csv', label: 'CSV (one canonical table)' },
  { kind: 'parquet', label: 'Parquet (one canonical table)' },
  { kind: 'arrow', label: 'Arrow IPC (one canonical table)' },
  { kind: 'prom', label: 'Prometheus text exposition' },
  { kind: 'prom-api', label: 'Prometheus API answer (JSON)' },
  { kind: 'alertmanager', label: 'Alertmanager webhook (JSON)' }
];

const BY_EXTENSION: [RegExp, string][] = [
  [/\.otlp\.jsonl?$/, 'otlp'],
  [/\.json$/, 'otlp'],
  [/\.(pb|binpb|protobuf|otlp)$/, 'otlp-proto'],
  [/\.(prom|metrics)$/, 'prom'],
  [/\.(jsonl|ndjson)$/, 'jsonl'],
  [/\.(log|txt)$/, 'text'],
  [/\.(csv|tsv)$/, 'csv'],
  [/\.(parquet|pq)$/, 'parquet'],
  [/\.(arrow|arrows|feather|ipc)$/, 'arrow']
];

/** The adapter kind for a file name, or null when the extension says nothing. */
export function kindForFile(name: string): string | null {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  return BY_EXTENSION.find(([re]) => re.test(base))?.[1] ?? null;
}

/** Valid dataset names (as `@opsbook/catalog`'s DATASET_NAME: a directory and SQL name). */
export const DATASET_NAME = /^[a-z_][a-z0-9_]*$/;

/** Why a dataset name is invalid, or null when it is fine. */
export function datasetNameProblem(name: string): string | null {
  if (!name) {
    return 'Give a dataset name.';
  }
  return DATASET_NAME.test(name)
    ? null
    : `"${name}" is not a valid dataset name: use lower-case letters, digits and _, not starting with a digit (it becomes a SQL table name).`;
}
