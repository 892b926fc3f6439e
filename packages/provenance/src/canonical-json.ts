/**
 * Canonical JSON: one byte string per value, so hashes and signatures over JSON are reproducible.
 *
 * The encoding is RFC 8785 (JSON Canonicalization Scheme) for the values we allow:
 * - objects: members sorted by key (UTF-16 code units, as JavaScript's default sort), no
 *   whitespace; members whose value is `undefined` are left out (as `JSON.stringify` does);
 * - arrays in order; strings and finite numbers as `JSON.stringify` writes them (ECMAScript's
 *   shortest round-trip form, which is what RFC 8785 specifies); `true`, `false`, `null`.
 * Anything else (NaN, Infinity, bigint, functions, symbols, `undefined` in an array, class
 * instances such as Date or Map) is refused with the path to the offending value: silently
 * changing it would make two different records hash alike.
 */

/** A JSON value that `canonicalJson` accepts. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The canonical JSON text of `value` (see the module comment); throws on non-JSON values. */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null) {
    return 'null';
  }
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(
          `canonicalJson: ${path} is ${value}, which JSON cannot represent; store it as a string.`
        );
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value
          .map((item, i) => {
            if (item === undefined) {
              throw new TypeError(`canonicalJson: ${path}[${i}] is undefined; use null.`);
            }
            return encode(item, `${path}[${i}]`);
          })
          .join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `canonicalJson: ${path} is a ${proto?.constructor?.name ?? 'non-plain'} object; ` +
            'convert it to plain JSON (e.g. an ISO string for a Date) first.'
        );
      }
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .filter(key => record[key] !== undefined)
        .sort()
        .map(key => `${JSON.stringify(key)}:${encode(record[key], `${path}.${key}`)}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(
        `canonicalJson: ${path} is a ${typeof value}, which JSON cannot represent` +
          (typeof value === 'bigint' ? '; store it as a decimal string.' : '.')
      );
  }
}
