/**
 * User-facing table names of the catalog. Its own module: the worker protocol, the JSON views and
 * the reader all need it, and it must stay free of apache-arrow like them (see protocol.ts).
 */
import type { TableName } from '@opsbook/telemetry-schema';

/**
 * Table names as users write them (`--table metrics`, `checkout_metrics`) and the canonical
 * table each stands for: `metric_points` is the schema's name, `metrics` the one people use.
 */
export const TABLE_ALIASES = {
  spans: 'spans',
  logs: 'logs',
  metrics: 'metric_points',
  events: 'events'
} as const satisfies Record<string, TableName>;

/** One of the user-facing table names. */
export type TableAlias = keyof typeof TABLE_ALIASES;

/** The user-facing name of a canonical table. */
export function tableAlias(table: TableName): TableAlias {
  return table === 'metric_points' ? 'metrics' : (table as TableAlias);
}
