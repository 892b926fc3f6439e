/**
 * A small SQL tokenizer: words, numbers, punctuation and parenthesis depth, with string literals,
 * quoted identifiers, dollar-quoted strings and comments recognised (so `'random()'` in a string
 * or a comment is never taken for a call). It does not parse SQL: DuckDB decides what a query
 * does (see nondeterminism.ts); this only finds function-call names and the top-level ORDER BY
 * keys of the text the user wrote.
 */

/** One token. `depth` is the parenthesis depth it sits at (0 = top level of the statement). */
export interface SqlToken {
  kind: 'word' | 'quoted' | 'number' | 'string' | 'punct';
  /** Words lower-cased; quoted identifiers without their quotes; others as written. */
  text: string;
  depth: number;
}

/** The tokens of one SQL statement. */
export function tokenize(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"') {
      // Quotes are escaped by doubling them inside.
      let j = i + 1;
      let text = '';
      for (; j < sql.length; j++) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            text += c;
            j++;
            continue;
          }
          break;
        }
        text += sql[j];
      }
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text, depth });
      i = j + 1;
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      tokens.push({
        kind: 'string',
        text: sql.slice(i + tag.length, end < 0 ? sql.length : end),
        depth
      });
      i = end < 0 ? sql.length : end + tag.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 256))!;
      tokens.push({ kind: 'word', text: m[0].toLowerCase(), depth });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?/.exec(sql.slice(i, i + 256))!;
      tokens.push({ kind: 'number', text: m[0], depth });
      i += m[0].length;
    } else {
      if (c === ')') depth = Math.max(0, depth - 1);
      tokens.push({ kind: 'punct', text: c, depth });
      if (c === '(') depth++;
      i++;
    }
  }
  return tokens;
}

/** Keywords that a `(` may follow without being a call. */
const NOT_CALLS = new Set([
  'values',
  'in',
  'exists',
  'over',
  'filter',
  'using',
  'on',
  'and',
  'or',
  'not',
  'any',
  'all',
  'some',
  'select',
  'where',
  'when',
  'then',
  'else',
  'by',
  'as',
  'lateral',
  'within',
  'with'
]);

/** Words after which `name (` names a table or columns (`FROM f(...)` is a table function call). */
const NAMING = new Set(['as', 'table', 'into', 'view', 'exists']);

/** Names of the functions a statement calls (a word directly followed by `(`), lower-cased. */
export function calledFunctions(tokens: SqlToken[]): string[] {
  const names = new Set<string>();
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    const before = tokens[i - 1];
    const isCall =
      (t.kind === 'word' || t.kind === 'quoted') &&
      next?.kind === 'punct' &&
      next.text === '(' &&
      !(t.kind === 'word' && NOT_CALLS.has(t.text)) &&
      !(before?.kind === 'word' && NAMING.has(before.text));
    if (isCall) {
      names.add(t.text.toLowerCase());
    }
  });
  return [...names];
}

/** One key of an ORDER BY clause as written. */
export interface OrderKey {
  /** The key's tokens without ASC/DESC/NULLS FIRST/LAST. */
  tokens: SqlToken[];
  /** The key as text, for messages. */
  text: string;
}

const KEY_END = new Set([
  'limit',
  'offset',
  'fetch',
  'union',
  'except',
  'intersect',
  'window',
  'qualify'
]);

/**
 * The keys of the statement's top-level ORDER BY (the last one at depth 0), or null when there is
 * none. `ORDER BY ALL` gives one key whose text is `all`.
 */
export function topLevelOrderBy(tokens: SqlToken[]): OrderKey[] | null {
  let start = -1;
  tokens.forEach((t, i) => {
    if (t.depth === 0 && t.kind === 'word' && t.text === 'order' && tokens[i + 1]?.text === 'by') {
      start = i + 2;
    }
  });
  if (start < 0) {
    return null;
  }
  const keys: OrderKey[] = [];
  let current: SqlToken[] = [];
  const flush = () => {
    let end = current.length;
    // Drop trailing ASC/DESC and NULLS FIRST/LAST.
    while (
      end > 0 &&
      current[end - 1].kind === 'word' &&
      ['asc', 'desc', 'first', 'last', 'nulls'].includes(current[end - 1].text)
    ) {
      end--;
    }
    const key = current.slice(0, end);
    if (key.length) {
      keys.push({
        tokens: key,
        text: key.map(t => (t.kind === 'quoted' ? `"${t.text}"` : t.text)).join(' ')
      });
    }
    current = [];
  };
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (
      t.depth === 0 &&
      ((t.kind === 'word' && KEY_END.has(t.text)) || t.text === ';' || t.text === ')')
    ) {
      break;
    }
    if (t.depth === 0 && t.text === ',') {
      flush();
    } else {
      current.push(t);
    }
  }
  flush();
  return keys;
}
