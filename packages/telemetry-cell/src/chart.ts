/**
 * Chart choice and Vega-Lite specs for telemetry results.
 *
 *   result columns --infer--> ChartConfig (automatic) --merge user choice--> ChartConfig
 *                  --build--> Vega-Lite spec with the stored rows inline
 *
 * Inference follows the result's shape: a time column and a number give a line per series (the
 * first text column splits series); a category and a number give a bar chart; two numbers give a
 * scatter plot; anything else is shown as a table only.
 */
import type { ChartConfig, ChartMark } from './metadata';
import { VEGALITE_SCHEMA } from './mime';
import type { ResultColumn, ResultTable } from './values';

/** More distinct series than this would make an unreadable legend, so no colour is chosen. */
const MAX_AUTO_SERIES = 24;

/** A fully resolved chart: every encoding names an existing column (or is null). */
export interface ResolvedChart {
  mark: ChartMark;
  x: string | null;
  y: string | null;
  color: string | null;
}

/** The automatic chart for a result. */
export function inferChart(result: ResultTable): ResolvedChart {
  const { columns } = result;
  const time = columns.find(c => c.kind === 'temporal');
  const numbers = columns.filter(c => c.kind === 'quantitative');
  const texts = columns.filter(c => c.kind === 'nominal' || c.kind === 'boolean');
  if (time && numbers.length > 0) {
    const series = texts.find(c => distinct(result, c.name) <= MAX_AUTO_SERIES);
    return { mark: 'line', x: time.name, y: numbers[0].name, color: series?.name ?? null };
  }
  if (texts.length > 0 && numbers.length > 0) {
    return { mark: 'bar', x: texts[0].name, y: numbers[0].name, color: null };
  }
  if (numbers.length >= 2) {
    return { mark: 'point', x: numbers[0].name, y: numbers[1].name, color: null };
  }
  return { mark: 'table', x: null, y: null, color: null };
}

/**
 * The chart to draw: the user's choice where it still fits the result, the automatic choice
 * elsewhere. A chosen field the result no longer has is replaced, never drawn empty.
 */
export function resolveChart(result: ResultTable, chosen: ChartConfig | null): ResolvedChart {
  const auto = inferChart(result);
  if (!chosen) {
    return auto;
  }
  const names = new Set(result.columns.map(c => c.name));
  const pick = (value: string | null | undefined, fallback: string | null) =>
    value === undefined ? fallback : value === null ? null : names.has(value) ? value : fallback;
  const numbers = result.columns.filter(c => c.kind === 'quantitative');
  const x = pick(chosen.x, auto.x ?? result.columns[0]?.name ?? null);
  const y = pick(chosen.y, auto.y ?? numbers.find(c => c.name !== x)?.name ?? null);
  return { mark: chosen.mark, x, y, color: pick(chosen.color, auto.color) };
}

/** The Vega-Lite spec of a chart over the stored rows, or null for 'table' or an unusable choice. */
export function buildVegaLiteSpec(
  result: ResultTable,
  chart: ResolvedChart,
  title?: string
): Record<string, unknown> | null {
  if (chart.mark === 'table' || !chart.x || !chart.y) {
    return null;
  }
  const byName = new Map(result.columns.map((c, i) => [c.name, { column: c, index: i }]));
  const used = [chart.x, chart.y, chart.color].filter((f): f is string => !!f && byName.has(f));
  // Only the encoded columns go into the spec, so the notebook stays small.
  const values = result.rows.map(row => {
    const item: Record<string, unknown> = {};
    for (const name of used) {
      item[name] = row[byName.get(name)!.index];
    }
    return item;
  });
  const encode = (name: string) => {
    const column = byName.get(name)!.column;
    const encoding: Record<string, unknown> = { field: name, type: vegaType(column) };
    if (column.kind === 'temporal') {
      encoding.scale = { type: 'utc' };
      encoding.axis = { format: '%H:%M', labelOverlap: true };
      encoding.title = `${name} (UTC)`;
    }
    return encoding;
  };
  const x = encode(chart.x);
  if (chart.mark === 'bar' && byName.get(chart.x)!.column.kind === 'nominal') {
    x.sort = '-y';
  }
  const encoding: Record<string, unknown> = {
    x,
    y: encode(chart.y),
    tooltip: used.map(name => ({ ...encode(name), axis: undefined, scale: undefined }))
  };
  if (chart.color) {
    encoding.color = { field: chart.color, type: 'nominal' };
  }
  const truncated = result.totalRows > result.rows.length;
  return {
    $schema: VEGALITE_SCHEMA,
    ...(title || truncated
      ? {
          title: {
            text: title ?? '',
            subtitle: truncated
              ? `first ${result.rows.length.toLocaleString('en-US')} of ${result.totalRows.toLocaleString('en-US')} rows`
              : undefined
          }
        }
      : {}),
    width: 'container',
    height: 240,
    data: { values },
    mark: {
      type: chart.mark,
      tooltip: true,
      ...(chart.mark === 'line' ? { interpolate: 'monotone' } : {})
    },
    encoding
  };
}

function vegaType(column: ResultColumn): string {
  return column.kind === 'boolean' ? 'nominal' : column.kind;
}

function distinct(result: ResultTable, name: string): number {
  const index = result.columns.findIndex(c => c.name === name);
  const seen = new Set<unknown>();
  for (const row of result.rows) {
    seen.add(row[index]);
    if (seen.size > MAX_AUTO_SERIES) {
      break;
    }
  }
  return seen.size;
}
