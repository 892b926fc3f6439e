/**
 * Non-determinism classifier: when a replay on the same snapshots gives another result hash, say
 * why it probably did, asking DuckDB wherever it can answer.
 *
 * - Volatile functions: DuckDB's own catalog (`duckdb_functions()`, stability VOLATILE or
 *   CONSISTENT_WITHIN_QUERY) says which functions may differ between runs; the statements'
 *   function calls are matched against it, plus the SQL keywords DuckDB rewrites into such calls
 *   (`current_timestamp`, `current_date`, ...).
 * - Row order: DuckDB's physical plan (`EXPLAIN (FORMAT json)`) says whether the result is sorted
 *   at the top (an ORDER_BY or TOP_N above every other operator). If it is, the ORDER BY keys as
 *   written are matched to result columns and checked for uniqueness on the actual rows: equal
 *   keys leave the order of those rows to the engine's threads.
 * - Floating-point aggregation: aggregates in the plan whose sum depends on the order of addition
 *   (sum, avg, var, stddev, ...) and whose argument DuckDB types as FLOAT or DOUBLE (asked with
 *   `DESCRIBE SELECT <argument> FROM <table>`).
 * When both results are given, equal multisets of rows prove the difference is row order only.
 *
 * `json_serialize_sql` would give the parse tree, but it lives in DuckDB's json extension, which
 * the locked-down engine cannot load; the plan and the function catalog are what DuckDB offers.
 */
import { quoteIdent, splitStatements, type QueryEngine } from '@opsbook/query-engine';
import type { Table } from 'apache-arrow';
import { rowKeys } from './result-hash';
import { calledFunctions, tokenize, topLevelOrderBy, type SqlToken } from './sql-tokens';
import { sha256Hex } from './sha256';

/** How sure a cause is. */
export type Confidence = 'confirmed' | 'likely' | 'possible';

/** One likely cause of a result that changed between runs. */
export type NondeterminismCause =
  | { kind: 'volatile-function'; functions: string[]; confidence: Confidence; message: string }
  | { kind: 'no-order-by'; confidence: Confidence; message: string }
  | {
      kind: 'order-by-not-unique';
      keys: string[];
      /** How many result rows share their keys with another row. */
      tiedRows: number;
      confidence: Confidence;
      message: string;
    }
  | { kind: 'order-by-unverified'; keys: string[]; confidence: Confidence; message: string }
  | { kind: 'row-order'; confidence: Confidence; message: string }
  | { kind: 'float-aggregation'; aggregates: string[]; confidence: Confidence; message: string };

/** What `classifyNondeterminism` found. */
export interface NondeterminismReport {
  /** True when the two hashes are equal (causes then list risks, not an explanation). */
  identical: boolean;
  /** Likely causes, most likely first. */
  causes: NondeterminismCause[];
}

/** Options of `classifyNondeterminism`. */
export interface ClassifyOptions {
  /** An engine with the run's datasets registered (the plan and types come from it). */
  engine: QueryEngine;
  /** The SQL as executed. */
  sql: string;
  /** The result hashes of the two runs. */
  hashes: [string, string];
  /** One run's result: needed to check ORDER BY keys for uniqueness. */
  result?: Table;
  /** The other run's result: with `result`, tells a pure reordering apart. */
  otherResult?: Table;
}

/** SQL keywords DuckDB rewrites into a call of a non-deterministic function. */
const VOLATILE_KEYWORDS = [
  'current_timestamp',
  'current_date',
  'current_time',
  'localtimestamp',
  'localtime',
  'today'
];

/** Volatile only so that DuckDB does not fold them; they do not change a result. */
const HARMLESS_VOLATILE = new Set(['error', 'write_log']);

/** Aggregates whose floating-point result depends on the order rows are added in. */
const ORDER_SENSITIVE_AGGREGATES = new Set([
  'sum',
  'sum_no_overflow',
  'fsum',
  'sumkahan',
  'kahan_sum',
  'avg',
  'mean',
  'favg',
  'var_pop',
  'var_samp',
  'variance',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'covar_pop',
  'covar_samp',
  'corr',
  'regr_avgx',
  'regr_avgy',
  'regr_slope',
  'regr_intercept',
  'regr_r2',
  'regr_sxx',
  'regr_syy',
  'regr_sxy',
  'kurtosis',
  'kurtosis_pop',
  'skewness',
  'product',
  'sem'
]);

interface PlanNode {
  name?: string;
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

/** Classifies why two runs of `sql` on the same snapshots gave different result hashes. */
export async function classifyNondeterminism(
  options: ClassifyOptions
): Promise<NondeterminismReport> {
  const { engine, sql, hashes, result, otherResult } = options;
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new TypeError('classifyNondeterminism: sql must be the SQL that was executed.');
  }
  if (!Array.isArray(hashes) || hashes.length !== 2) {
    throw new TypeError("classifyNondeterminism: hashes must be the two runs' result hashes.");
  }
  const statements = splitStatements(sql).map(s => s.text);
  if (statements.length === 0) {
    throw new TypeError('classifyNondeterminism: sql has no statement.');
  }
  const last = statements[statements.length - 1];
  const causes: NondeterminismCause[] = [];

  const volatile = await volatileCalls(engine, statements);
  if (volatile.length) {
    causes.push({
      kind: 'volatile-function',
      functions: volatile,
      confidence: 'likely',
      message:
        `The query calls ${volatile.join(', ')}, which DuckDB marks as volatile: each run may ` +
        'give other values. Pass the value as a parameter (or use setseed) to replay it.'
    });
  }

  const plan = await explain(engine, last);
  if (result && otherResult && sameRowMultiset(result, otherResult)) {
    causes.push({
      kind: 'row-order',
      confidence: 'confirmed',
      message: 'Both runs returned the same rows in a different order.'
    });
  }
  const order = plan ? await orderCause(plan, last, result) : null;
  if (order) {
    causes.push(order);
  }
  const floats = plan ? await floatAggregates(engine, plan) : [];
  if (floats.length) {
    causes.push({
      kind: 'float-aggregation',
      aggregates: floats,
      confidence: 'possible',
      message:
        `${floats.join(', ')} add floating-point values, whose rounding depends on the order ` +
        "DuckDB's threads add them in; the last digits can differ between runs. Round the " +
        'result, or cast the argument to DECIMAL.'
    });
  }
  // A confirmed reordering explains the difference better than any risk found in the SQL.
  causes.sort((a, b) => rank(a) - rank(b));
  return { identical: hashes[0] === hashes[1], causes };
}

function rank(cause: NondeterminismCause): number {
  const confidence = { confirmed: 0, likely: 10, possible: 20 }[cause.confidence];
  return confidence + (cause.kind === 'volatile-function' ? 0 : 1);
}

/** Function names from DuckDB's catalog whose value may change between runs. */
async function volatileFunctionNames(engine: QueryEngine): Promise<Set<string>> {
  const { table } = await engine.query(
    "SELECT DISTINCT function_name FROM duckdb_functions() WHERE stability IN ('VOLATILE', 'CONSISTENT_WITHIN_QUERY')"
  );
  const names = new Set<string>();
  for (const row of table.toArray() as { function_name: string }[]) {
    if (!HARMLESS_VOLATILE.has(row.function_name)) {
      names.add(row.function_name.toLowerCase());
    }
  }
  return names;
}

async function volatileCalls(engine: QueryEngine, statements: string[]): Promise<string[]> {
  const catalog = await volatileFunctionNames(engine);
  const found = new Set<string>();
  for (const statement of statements) {
    const tokens = tokenize(statement);
    for (const name of calledFunctions(tokens)) {
      if (catalog.has(name)) found.add(name);
    }
    for (const t of tokens) {
      if (t.kind === 'word' && VOLATILE_KEYWORDS.includes(t.text)) found.add(t.text);
    }
  }
  return [...found].sort();
}

/** DuckDB's physical plan of a statement, or null when it cannot be explained. */
async function explain(engine: QueryEngine, statement: string): Promise<PlanNode | null> {
  try {
    const { table } = await engine.query(`EXPLAIN (FORMAT json) ${statement}`);
    const rows = table.toArray() as { explain_value: string }[];
    const parsed = JSON.parse(rows.map(r => r.explain_value).join('')) as PlanNode | PlanNode[];
    return Array.isArray(parsed) ? parsed[0] : parsed;
  } catch {
    return null;
  }
}

/** Operators that keep the order of their input, walked through to find the top-level sort. */
const ORDER_PRESERVING = new Set([
  'PROJECTION',
  'LIMIT',
  'STREAMING_LIMIT',
  'FILTER',
  'RESULT_COLLECTOR'
]);

function topIsSorted(plan: PlanNode): boolean {
  let node: PlanNode | undefined = plan;
  while (node) {
    const name = (node.name ?? '').trim();
    if (name === 'ORDER_BY' || name === 'TOP_N') return true;
    if (!ORDER_PRESERVING.has(name) || (node.children ?? []).length !== 1) return false;
    node = node.children![0];
  }
  return false;
}

async function orderCause(
  plan: PlanNode,
  statement: string,
  result?: Table
): Promise<NondeterminismCause | null> {
  if (result && result.numRows <= 1) {
    return null;
  }
  if (!topIsSorted(plan)) {
    return {
      kind: 'no-order-by',
      confidence: 'likely',
      message:
        'The result is not sorted at the top (no ORDER BY on the outer query): DuckDB may return ' +
        'rows in any order, and parallel operators (GROUP BY, joins) often do. Add an ORDER BY ' +
        'on columns that identify each row.'
    };
  }
  const keys = topLevelOrderBy(tokenize(statement)) ?? [];
  const columns = result
    ? keyColumns(
        keys.map(k => k.tokens),
        result
      )
    : null;
  if (!result || !columns) {
    return {
      kind: 'order-by-unverified',
      keys: keys.map(k => k.text),
      confidence: 'possible',
      message:
        'The result is sorted, but its ORDER BY keys are expressions that are not result ' +
        'columns, so their uniqueness could not be checked; ties would leave rows in any order.'
    };
  }
  const counts = new Map<string, number>();
  for (const key of rowKeys(result, columns)) {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let tied = 0;
  counts.forEach(n => (tied += n > 1 ? n : 0));
  if (tied === 0) {
    return null;
  }
  const names = columns.map(c => result.schema.fields[c].name);
  return {
    kind: 'order-by-not-unique',
    keys: names,
    tiedRows: tied,
    confidence: 'likely',
    message:
      `ORDER BY ${names.join(', ')} is not a total order: ${tied} of ${result.numRows} rows share ` +
      'their keys with another row, and tied rows come back in any order. Add columns to the ' +
      'ORDER BY until each row is unique.'
  };
}

/** Result column indexes of ORDER BY keys, or null when a key is not a plain result column. */
function keyColumns(keys: SqlToken[][], result: Table): number[] | null {
  const names = result.schema.fields.map(f => f.name);
  if (
    keys.length === 1 &&
    keys[0].length === 1 &&
    keys[0][0].kind === 'word' &&
    keys[0][0].text === 'all'
  ) {
    return names.map((_, i) => i);
  }
  const columns: number[] = [];
  for (const key of keys) {
    const last = key[key.length - 1];
    // `t.col` and `col` name the column `col`; a lone number is a position.
    const plain = key.length === 1 || (key.length === 3 && key[1].text === '.');
    if (!plain) return null;
    let index = -1;
    if (last.kind === 'number' && /^[0-9]+$/.test(last.text)) {
      index = Number(last.text) - 1;
    } else if (last.kind === 'quoted') {
      index = names.indexOf(last.text);
    } else if (last.kind === 'word') {
      index = names.findIndex(n => n.toLowerCase() === last.text);
    }
    if (index < 0 || index >= names.length) return null;
    columns.push(index);
  }
  return columns;
}

function sameRowMultiset(a: Table, b: Table): boolean {
  if (a.numRows !== b.numRows || a.numCols !== b.numCols) return false;
  const digest = (t: Table) =>
    sha256Hex(
      [
        ...rowKeys(
          t,
          t.schema.fields.map((_, i) => i)
        )
      ]
        .sort()
        .join('\n')
    );
  return digest(a) === digest(b);
}

/** Order-sensitive aggregates over FLOAT/DOUBLE arguments in the plan, e.g. `sum(amount)`. */
async function floatAggregates(engine: QueryEngine, plan: PlanNode): Promise<string[]> {
  const found: string[] = [];
  const visit = async (node: PlanNode) => {
    const name = (node.name ?? '').trim();
    const info = node.extra_info ?? {};
    const calls =
      name.includes('GROUP_BY') || name.includes('AGGREGATE')
        ? list(info['Aggregates'])
        : name.includes('WINDOW')
          ? list(info['Projections'])
          : [];
    for (const call of calls) {
      const parsed = /^([a-z_][a-z0-9_]*)\((.*)\)/i.exec(call.trim());
      if (!parsed || !ORDER_SENSITIVE_AGGREGATES.has(parsed[1].toLowerCase())) continue;
      const arg = firstArgument(parsed[2]);
      const expr = resolve(node, arg);
      const table = scannedTable(node);
      const type = expr && table ? await typeOf(engine, expr, table) : null;
      if (type === null || /^(DOUBLE|FLOAT|REAL|FLOAT4|FLOAT8)$/.test(type)) {
        found.push(
          `${parsed[1].toLowerCase()}(${expr ?? arg})${type === null ? ' (argument type unknown)' : ''}`
        );
      }
    }
    for (const child of node.children ?? []) {
      await visit(child);
    }
  };
  await visit(plan);
  return [...new Set(found)];
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? value.split('\n') : [];
}

/** The first top-level argument of a call's argument text. */
function firstArgument(args: string): string {
  let depth = 0;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '(') depth++;
    else if (args[i] === ')') depth--;
    else if (args[i] === ',' && depth === 0) return args.slice(0, i).trim();
  }
  // Window calls print `sum(d) OVER (...)`: cut at the call's own closing parenthesis.
  return args.replace(/\)\s*OVER\s*\(.*$/is, '').trim();
}

/** Follows `#k` references down through the projections below `node` to an expression text. */
function resolve(node: PlanNode, expr: string): string | null {
  let current = node;
  let text = expr;
  for (;;) {
    const ref = /^#(\d+)$/.exec(text);
    if (!ref) return text.includes('#') || text.includes('__internal') ? null : text;
    const child = (current.children ?? [])[0];
    if (!child) return null;
    const projections = list(child.extra_info?.['Projections']);
    const next = projections[Number(ref[1])];
    if (next === undefined) return null;
    current = child;
    text = next;
  }
}

function scannedTable(node: PlanNode): string | null {
  const table = node.extra_info?.['Table'];
  if (typeof table === 'string') return table;
  for (const child of node.children ?? []) {
    const found = scannedTable(child);
    if (found) return found;
  }
  return null;
}

async function typeOf(engine: QueryEngine, expr: string, table: string): Promise<string | null> {
  try {
    const { table: described } = await engine.query(
      `DESCRIBE SELECT ${expr} FROM ${quoteIdent(table)}`
    );
    const row = described.toArray()[0] as { column_type?: string } | undefined;
    return row?.column_type?.toUpperCase() ?? null;
  } catch {
    return null;
  }
}
