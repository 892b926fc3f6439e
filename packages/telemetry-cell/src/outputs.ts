/**
 * The outputs of a telemetry run, as standard nbformat MIME bundles.
 *
 * A telemetry cell produces up to two outputs:
 * 1. the chart: `display_data` with the Vega-Lite spec (stock JupyterLab draws it) and Opsbook's
 *    chart marker (Opsbook draws it with mark and encoding controls);
 * 2. the table: `execute_result` with an HTML table (stock Jupyter shows it), plain text, and
 *    Opsbook's table bundle (a paginated, virtual-scrolling table).
 * Both hold at most `maxRows` rows and state the total, so notebooks stay small.
 */
import { buildVegaLiteSpec, resolveChart, type ResolvedChart } from './chart';
import type { ChartConfig } from './metadata';
import { CHART_MIME, TABLE_MIME, VEGALITE_MIME } from './mime';
import type { ResultTable, ResultValue } from './values';

/** How many rows outputs keep unless told otherwise. */
export const DEFAULT_MAX_ROWS = 1000;

/** How many rows the HTML and text fallbacks show (stock viewers render every row they get). */
const FALLBACK_ROWS = 200;

/** A MIME bundle. */
export type MimeBundle = Record<string, unknown>;

/** The nbformat outputs a run produces (the subset we emit). */
export type RunOutput =
  | { output_type: 'display_data'; data: MimeBundle; metadata: Record<string, unknown> }
  | {
      output_type: 'execute_result';
      data: MimeBundle;
      metadata: Record<string, unknown>;
      execution_count: number | null;
    };

/** Opsbook's table bundle (`TABLE_MIME`). */
export interface TableBundle extends ResultTable {
  /** How long the query ran, in milliseconds. */
  elapsedMs?: number;
}

/** Opsbook's chart marker (`CHART_MIME`): the chart drawn, and the user's choice if any. */
export interface ChartBundle {
  chart: ResolvedChart;
  chosen: ChartConfig | null;
  /** Every column with its kind, so controls can offer them. */
  columns: ResultTable['columns'];
}

/** Options of `buildOutputs`. */
export interface BuildOutputsOptions {
  /** Draw a chart (telemetry cells) or only a table (plain code cells). */
  chart: boolean;
  chosen?: ChartConfig | null;
  executionCount?: number | null;
  elapsedMs?: number;
  /** Extra metadata stored on the table output (e.g. what was scanned). */
  metadata?: Record<string, unknown>;
}

/** The outputs for a result. */
export function buildOutputs(result: ResultTable, options: BuildOutputsOptions): RunOutput[] {
  const outputs: RunOutput[] = [];
  if (options.chart) {
    const chart = buildChartOutput(result, options.chosen ?? null);
    if (chart) {
      outputs.push(chart);
    }
  }
  const table: TableBundle = { ...result, elapsedMs: options.elapsedMs };
  outputs.push({
    output_type: 'execute_result',
    execution_count: options.executionCount ?? null,
    data: {
      [TABLE_MIME]: table,
      'text/html': htmlTable(result),
      'text/plain': textTable(result)
    },
    metadata: { opsbook: { role: 'table', ...options.metadata } }
  });
  return outputs;
}

/** The chart output for a result and a chart choice, or null when nothing can be drawn. */
export function buildChartOutput(
  result: ResultTable,
  chosen: ChartConfig | null
): RunOutput | null {
  const chart = resolveChart(result, chosen);
  const spec = buildVegaLiteSpec(result, chart);
  if (!spec && chart.mark !== 'table') {
    return null;
  }
  const marker: ChartBundle = { chart, chosen, columns: result.columns };
  const data: MimeBundle = { [CHART_MIME]: marker, 'text/plain': chartText(chart) };
  if (spec) {
    data[VEGALITE_MIME] = spec;
  }
  return { output_type: 'display_data', data, metadata: { opsbook: { role: 'chart' } } };
}

function chartText(chart: ResolvedChart): string {
  return chart.mark === 'table'
    ? '<chart hidden: table only>'
    : `<${chart.mark} chart: ${chart.y} by ${chart.x}${chart.color ? `, per ${chart.color}` : ''}>`;
}

/** A one-line summary of a result's size. */
export function summary(result: ResultTable): string {
  const rows = `${result.totalRows.toLocaleString('en-US')} row${result.totalRows === 1 ? '' : 's'}`;
  const columns = `${result.columns.length} column${result.columns.length === 1 ? '' : 's'}`;
  const shown =
    result.totalRows > result.rows.length
      ? ` (first ${result.rows.length.toLocaleString('en-US')} stored)`
      : '';
  return `${rows} × ${columns}${shown}`;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!
  );

function cellText(value: ResultValue): string {
  return value === null ? 'NULL' : String(value);
}

/** An HTML table of the first rows, with the total row count, for stock viewers. */
export function htmlTable(result: ResultTable): string {
  const rows = result.rows.slice(0, FALLBACK_ROWS);
  const head = result.columns.map(c => `<th>${escapeHtml(c.name)}</th>`).join('');
  const body = rows
    .map(row => `<tr>${row.map(v => `<td>${escapeHtml(cellText(v))}</td>`).join('')}</tr>`)
    .join('\n');
  const note =
    result.totalRows > rows.length
      ? `first ${rows.length.toLocaleString('en-US')} of ${result.totalRows.toLocaleString('en-US')} rows`
      : summary(result);
  return `<table class="opsbook-table">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>\n<p><small>${escapeHtml(note)}</small></p>`;
}

/** A fixed-width text table of the first rows, for terminals and diffs. */
export function textTable(result: ResultTable, maxRows = 20): string {
  const rows = result.rows.slice(0, maxRows).map(r => r.map(cellText));
  const header = result.columns.map(c => c.name);
  const widths = header.map((h, i) =>
    Math.min(40, Math.max(h.length, ...rows.map(r => r[i].length)))
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        cell.length > widths[i] ? cell.slice(0, widths[i] - 1) + '…' : cell.padEnd(widths[i])
      )
      .join('  ');
  return [
    line(header),
    widths.map(w => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    summary(result)
  ].join('\n');
}
