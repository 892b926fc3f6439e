/**
 * Scan planning: which columns and which time range of each dataset a statement reads.
 *
 * Every dataset has an empty "stub" table with its full schema in the `opsbook_stub` schema. A
 * dedicated planning connection, whose search path puts the stubs first, runs
 * `EXPLAIN (FORMAT json)` on the statement; DuckDB's optimizer then tells us, per table scan, the
 * projected columns and the filters it pushed into the scan. This is what DuckDB will actually read,
 * not a guess from the SQL text.
 *
 * An empty stub would let DuckDB's statistics prove filters false and replace the scan with an
 * empty result, so each stub holds three rows: all NULLs, the lowest and the highest value of each
 * column's type. Where a plan still has an EMPTY_RESULT node, the caller loads whole tables. Time bounds are taken from simple comparisons of the time column
 * with a timestamp constant; anything else widens the bounds (over-fetching is always safe because
 * DuckDB applies the full filter again on the real rows).
 */

/** The stub schema's name. */
export const STUB_SCHEMA = 'opsbook_stub';

/** Lowest and highest literal of a DuckDB type, for the stub rows; null where none is known. */
function extremes(type: string): [string, string] | null {
  const t = type.toUpperCase().trim();
  const ints: Record<string, [string, string]> = {
    TINYINT: ['-128', '127'],
    SMALLINT: ['-32768', '32767'],
    INTEGER: ['-2147483648', '2147483647'],
    BIGINT: ['-9223372036854775808', '9223372036854775807'],
    UTINYINT: ['0', '255'],
    USMALLINT: ['0', '65535'],
    UINTEGER: ['0', '4294967295'],
    UBIGINT: ['0', '18446744073709551615']
  };
  if (ints[t]) {
    return ints[t];
  }
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'REAL') {
    return ["'-inf'", "'inf'"];
  }
  if (t === 'VARCHAR' || t === 'TEXT') {
    return ["''", "'\u{10FFFF}\u{10FFFF}\u{10FFFF}\u{10FFFF}'"];
  }
  if (t === 'BOOLEAN') {
    return ['false', 'true'];
  }
  if (t.startsWith('TIMESTAMP') || t === 'DATE') {
    return ["'-infinity'", "'infinity'"];
  }
  return null;
}

/** `INSERT` statement giving a stub its NULL, lowest and highest rows. */
export function stubRowsSql(table: string, columns: { name: string; type: string }[]): string {
  const row = (pick: (e: [string, string] | null) => string) =>
    `(${columns.map(c => `CAST(${pick(extremes(c.type))} AS ${c.type})`).join(', ')})`;
  return (
    `INSERT INTO ${table} VALUES ${row(() => 'NULL')}, ` +
    `${row(e => (e ? e[0] : 'NULL'))}, ${row(e => (e ? e[1] : 'NULL'))}`
  );
}

/** True when the optimizer replaced part of the plan by an empty result (the plan is unreliable). */
export function hasEmptyResult(planJson: string): boolean {
  return planJson.includes('"EMPTY_RESULT"');
}

/** What one statement needs from one dataset. */
export interface ScanNeed {
  table: string;
  columns: Set<string>;
  start?: string;
  end?: string;
}

interface PlanNode {
  name?: string;
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

/**
 * Reads the scans of dataset tables out of DuckDB's JSON plan. Several scans of one table (a
 * self-join) merge: columns unite and bounds widen.
 */
export function scansFromPlan(
  planJson: string,
  datasets: Map<string, { columns: string[]; timeColumn?: string | null }>
): ScanNeed[] {
  const roots = JSON.parse(planJson) as PlanNode[] | PlanNode;
  const needs = new Map<string, ScanNeed>();
  const visit = (node: PlanNode) => {
    const info = node.extra_info ?? {};
    const table = typeof info['Table'] === 'string' ? (info['Table'] as string) : null;
    const dataset = table ? datasets.get(table) : undefined;
    if (table && dataset) {
      const filters = asList(info['Filters']);
      // Columns used only by a pushed-down filter are scanned but not listed as projections.
      const filterText = filters.join('\n');
      const columns = dataset.columns.filter(
        c => asList(info['Projections']).includes(c) || mentions(filterText, c)
      );
      const bounds = dataset.timeColumn ? timeBounds(filters, dataset.timeColumn) : {};
      merge(needs, { table, columns: new Set(columns), ...bounds });
    }
    (node.children ?? []).forEach(visit);
  };
  (Array.isArray(roots) ? roots : [roots]).forEach(visit);
  return [...needs.values()];
}

function mentions(text: string, column: string): boolean {
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])"?${escaped}"?($|[^A-Za-z0-9_])`).test(text);
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.map(String);
  }
  if (typeof value === 'string' && value !== '') {
    return value.split('\n');
  }
  return [];
}

function merge(needs: Map<string, ScanNeed>, need: ScanNeed): void {
  const prev = needs.get(need.table);
  if (!prev) {
    needs.set(need.table, need);
    return;
  }
  need.columns.forEach(c => prev.columns.add(c));
  // Two scans: the union of their ranges is only bounded where both are.
  prev.start = prev.start && need.start ? minIso(prev.start, need.start) : undefined;
  prev.end = prev.end && need.end ? maxIso(prev.end, need.end) : undefined;
}

const minIso = (a: string, b: string) => (a < b ? a : b);
const maxIso = (a: string, b: string) => (a > b ? a : b);

/**
 * Lower and upper bounds on `timeColumn` from a scan's pushed-down filters, e.g.
 * `start_time>='2026-11-10 14:00:00'::TIMESTAMP`. Conjuncts come one per entry (or joined by AND).
 */
export function timeBounds(
  filters: string[],
  timeColumn: string
): { start?: string; end?: string } {
  let start: string | undefined;
  let end: string | undefined;
  const col = timeColumn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(
    `^\\(?"?${col}"?\\s*(>=|>|<=|<|=)\\s*'([0-9][0-9:. T-]*)'::TIMESTAMP(?:_NS|_MS|_S| WITH TIME ZONE)?\\)?$`
  );
  for (const conjunct of filters.flatMap(f => f.split(/ AND /))) {
    const m = re.exec(conjunct.trim());
    if (!m) {
      continue;
    }
    const iso = toIso(m[2]);
    if (m[1].startsWith('>') || m[1] === '=') {
      start = start && start > iso ? start : iso;
    }
    if (m[1].startsWith('<') || m[1] === '=') {
      end = end && end < iso ? end : iso;
    }
  }
  return { start, end };
}

/** DuckDB prints '2026-11-10 14:00:00'; the server takes ISO-8601 in UTC. */
function toIso(duckdbTimestamp: string): string {
  const [date, time = '00:00:00'] = duckdbTimestamp.trim().split(/[ T]/);
  return `${date}T${time}Z`;
}
