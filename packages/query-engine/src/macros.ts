/**
 * SQL macros every Opsbook DuckDB defines before user SQL runs: the browser's engine (see
 * `DuckDBEngine.create`), and the native DuckDB of the benchmarks and tests, so a notebook's SQL
 * means the same everywhere.
 *
 * `attr(map, key)`: the value of `key` in a telemetry attribute map (`attributes`,
 * `resource_attributes`, `scope_attributes`) as plain text, or NULL when absent. The telemetry
 * schema stores attribute values as JSON text, so `attributes['http.route']` is `"/api/checkout"`
 * with its quotes; `attr(attributes, 'http.route')` is `/api/checkout`, and numbers and booleans
 * come back as their text (`attr(attributes, 'http.response.status_code')::INTEGER`). Arrays and
 * objects stay JSON text. Only core functions are used: the browser's DuckDB-WASM has no JSON
 * extension (extensions are never loaded there). A JSON string is unquoted and its escapes `\"`,
 * `\\`, `\/`, `\n`, `\r`, `\t` decoded; `\uXXXX` escapes (which JSON.stringify writes only for
 * control characters) are left as they are.
 */

/** A private-use character standing for an escaped backslash while the other escapes decode. */
const BACKSLASH = '\uE000';

const value = 'm[k]';
const unquoted = [
  ['\\\\', BACKSLASH],
  ['\\"', '"'],
  ['\\/', '/'],
  ['\\n', 'chr(10)'],
  ['\\r', 'chr(13)'],
  ['\\t', 'chr(9)'],
  [BACKSLASH, '\\']
].reduce((sql, [from, to]) => {
  const target = to.startsWith('chr(') ? to : `'${to}'`;
  return `replace(${sql}, '${from}', ${target})`;
}, `${value}[2:-2]`);

/** The statements creating the macros (CREATE OR REPLACE: safe to run on any connection). */
export const TELEMETRY_MACROS: readonly string[] = [
  `CREATE OR REPLACE MACRO attr(m, k) AS ` +
    `CASE WHEN starts_with(${value}, '"') THEN ${unquoted} ELSE ${value} END`
];
