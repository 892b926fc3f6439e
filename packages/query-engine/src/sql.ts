/**
 * Small, quote-aware helpers on SQL text. They never decide what a query reads (DuckDB's own
 * planner does that, see planner.ts); they only split a cell into statements and quote names.
 */

/** One statement of a cell, with its character offset in the cell's source. */
export interface Statement {
  text: string;
  offset: number;
}

/**
 * Splits SQL on top-level `;`, respecting quotes, `--` line comments and block comments.
 * Empty statements (only whitespace or comments) are dropped.
 */
export function splitStatements(sql: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const raw = sql.slice(start, end);
    if (stripComments(raw).trim() !== '') {
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), offset: start + lead });
    }
  };
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === ';') {
      push(i);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  push(sql.length);
  return out;
}

function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/** Removes comments (outside quotes) so a statement's kind can be read from its first word. */
export function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
}

/** Quotes an identifier for DuckDB. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Quotes a string literal for DuckDB. */
export function quoteLiteral(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}

/** True for statements DuckDB can EXPLAIN to reveal their scans (queries, CTAS, inserts). */
export function isExplainable(statement: string): boolean {
  const head = stripComments(statement).trim().split(/\s+/, 1)[0]?.toUpperCase() ?? '';
  return ['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'SUMMARIZE', 'PIVOT', 'UNPIVOT'].includes(
    head
  );
}
