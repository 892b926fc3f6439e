/**
 * OTLP value normalisation shared by the OTLP/JSON and OTLP/protobuf adapters, following the OTLP
 * spec's JSON mapping (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
 * - trace and span ids are hex strings (case-insensitive; we store lower case). Plain protobuf
 *   JSON would give base64, which we accept too: 24/12 base64 characters for 16/8 bytes cannot be
 *   confused with 32/16 hex digits;
 * - 64-bit integers (`intValue`, `*UnixNano`, counts) may be JSON strings or numbers;
 * - enums may be numbers or their names (`SPAN_KIND_SERVER`);
 * - field names are lowerCamelCase; the original snake_case proto names are accepted too;
 * - `AnyValue` becomes JSON text for the attribute maps.
 */
import { Attributes, PROMOTED_RESOURCE_ATTRIBUTES } from '@opsbook/telemetry-schema';
import { describeValue, RecordProblem } from './errors';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

const snakeCache = new Map<string, string>();

/** Reads `obj[name]`, or its snake_case form (`traceId` -> `trace_id`). */
export function field(obj: JsonObject, name: string): unknown {
  const value = obj[name];
  if (value !== undefined) {
    return value;
  }
  let snake = snakeCache.get(name);
  if (snake === undefined) {
    snake = name.replace(/[A-Z]/g, ch => `_${ch.toLowerCase()}`);
    snakeCache.set(name, snake);
  }
  return obj[snake];
}

/** An object field, or undefined; any other type is a `wrong-type` problem. */
export function objectField(obj: JsonObject, name: string, path: string): JsonObject | undefined {
  const value = field(obj, name);
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RecordProblem('wrong-type', {
      field: `${path}.${name}`,
      expected: 'an object',
      found: describeValue(value)
    });
  }
  return value as JsonObject;
}

/** An array field (missing = empty); any other type is a `wrong-type` problem. */
export function arrayField(obj: JsonObject, name: string, path: string): unknown[] {
  const value = field(obj, name);
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new RecordProblem('wrong-type', {
      field: `${path}.${name}`,
      expected: 'an array',
      found: describeValue(value)
    });
  }
  return value;
}

/** A string field, or null when absent or empty. */
export function stringField(obj: JsonObject, name: string, path: string): string | null {
  const value = field(obj, name);
  if (value === undefined || value === null || value === '') {
    return null;
  }
  if (typeof value !== 'string') {
    throw new RecordProblem('wrong-type', {
      field: `${path}.${name}`,
      expected: 'a string',
      found: describeValue(value)
    });
  }
  return value;
}

const INT_RE = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** A 64-bit integer given as a JSON string or number; null when absent. */
export function int64(value: unknown, name: string): bigint | null {
  if (value === undefined || value === null) {
    return null;
  }
  let result: bigint | undefined;
  if (typeof value === 'string' && INT_RE.test(value)) {
    result = BigInt(value);
  } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
    result = BigInt(value);
  }
  if (result === undefined || result < INT64_MIN || result > UINT64_MAX) {
    throw new RecordProblem('bad-integer', { field: name, value: describeValue(value) });
  }
  return result;
}

/** A 64-bit integer field of `obj`. */
export function int64Field(obj: JsonObject, key: string, path: string): bigint | null {
  return int64(field(obj, key), `${path}.${key}`);
}

/**
 * A `fixed64 *UnixNano` time: null when absent or 0 (OTLP's "unset"); anything else that is not a
 * non-negative integer that fits int64 is a `bad-timestamp` problem.
 */
export function unixNano(obj: JsonObject, key: string, path: string): bigint | null {
  const value = field(obj, key);
  if (value === undefined || value === null) {
    return null;
  }
  let nanos: bigint | undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    nanos = BigInt(value);
  } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    nanos = BigInt(value);
  }
  if (nanos === undefined || nanos >= 2n ** 63n) {
    throw new RecordProblem('bad-timestamp', {
      field: `${path}.${key}`,
      value: describeValue(value)
    });
  }
  return nanos === 0n ? null : nanos;
}

/** A double field; OTLP/JSON may send NaN and infinities as strings. */
export function doubleField(obj: JsonObject, key: string, path: string): number | null {
  const value = field(obj, key);
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'NaN') {
    return NaN;
  }
  if (value === 'Infinity') {
    return Infinity;
  }
  if (value === '-Infinity') {
    return -Infinity;
  }
  if (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value))) {
    return Number(value);
  }
  throw new RecordProblem('bad-number', { field: `${path}.${key}`, value: describeValue(value) });
}

/** An enum given by number or by name (`names[i]` is the name of value i). */
export function enumField(
  obj: JsonObject,
  key: string,
  path: string,
  names: readonly string[]
): number | null {
  const value = field(obj, key);
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) {
    return value;
  }
  if (typeof value === 'string') {
    const index = names.indexOf(value);
    if (index >= 0) {
      return index;
    }
  }
  throw new RecordProblem('bad-enum', {
    field: `${path}.${key}`,
    value: describeValue(value),
    expected: `0-${names.length - 1} or ${names.join(', ')}`
  });
}

const HEX_RE = /^[0-9a-fA-F]+$/;
const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

function base64ToHex(text: string): string | null {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  let bits = 0;
  let acc = 0;
  let hex = '';
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) {
      return null;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      hex += ((acc >> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  return hex;
}

/**
 * A trace (16-byte) or span (8-byte) id as lower-case hex; null when absent or empty (a root span's
 * parent). Hex is what OTLP/JSON specifies; base64 (plain protobuf JSON) is accepted. An all-zero
 * id is invalid per the spec.
 */
export function idField(obj: JsonObject, key: string, path: string, bytes: 16 | 8): string | null {
  const value = field(obj, key);
  if (value === undefined || value === null || value === '') {
    return null;
  }
  let hex: string | null = null;
  if (typeof value === 'string') {
    if (value.length === bytes * 2 && HEX_RE.test(value)) {
      hex = value.toLowerCase();
    } else if (value.length === Math.ceil(bytes / 3) * 4 && BASE64_RE.test(value)) {
      hex = base64ToHex(value);
    }
  }
  if (hex === null || hex.length !== bytes * 2 || /^0+$/.test(hex)) {
    throw new RecordProblem('bad-id', {
      field: `${path}.${key}`,
      kind: bytes === 16 ? 'trace' : 'span',
      value: describeValue(value),
      hexDigits: bytes * 2,
      bytes
    });
  }
  return hex;
}

/** Converts an OTLP `AnyValue` to a plain JSON value (int64 beyond 2^53 as a string of digits). */
export function anyValueToJson(value: unknown, path: string): unknown {
  if (value === null || value === undefined || typeof value !== 'object') {
    if (value === null || value === undefined) {
      return null;
    }
    throw new RecordProblem('wrong-type', {
      field: path,
      expected: 'an AnyValue object',
      found: describeValue(value)
    });
  }
  const v = value as JsonObject;
  if ('stringValue' in v || 'string_value' in v) {
    const s = field(v, 'stringValue');
    if (typeof s !== 'string') {
      throw new RecordProblem('wrong-type', {
        field: `${path}.stringValue`,
        expected: 'a string',
        found: describeValue(s)
      });
    }
    return s;
  }
  if ('boolValue' in v || 'bool_value' in v) {
    const b = field(v, 'boolValue');
    if (typeof b !== 'boolean') {
      throw new RecordProblem('wrong-type', {
        field: `${path}.boolValue`,
        expected: 'a boolean',
        found: describeValue(b)
      });
    }
    return b;
  }
  if ('intValue' in v || 'int_value' in v) {
    const n = int64(field(v, 'intValue'), `${path}.intValue`)!;
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(n)
      : new RawJsonNumber(n.toString());
  }
  if ('doubleValue' in v || 'double_value' in v) {
    const d = doubleField(v, 'doubleValue', path)!;
    return Number.isFinite(d) ? d : String(d);
  }
  if ('bytesValue' in v || 'bytes_value' in v) {
    return field(v, 'bytesValue');
  }
  if ('arrayValue' in v || 'array_value' in v) {
    const array = objectField(v, 'arrayValue', path) ?? {};
    return arrayField(array, 'values', `${path}.arrayValue`).map((item, i) =>
      anyValueToJson(item, `${path}.arrayValue.values[${i}]`)
    );
  }
  if ('kvlistValue' in v || 'kvlist_value' in v) {
    const list = objectField(v, 'kvlistValue', path) ?? {};
    const out: Record<string, unknown> = {};
    arrayField(list, 'values', `${path}.kvlistValue`).forEach((kv, i) => {
      const [key, item] = keyValue(kv, `${path}.kvlistValue.values[${i}]`);
      out[key] = item;
    });
    return out;
  }
  return null; // An empty AnyValue is valid and means "no value".
}

/** An int64 that must be written as a bare JSON number even though it exceeds 2^53. */
export class RawJsonNumber {
  constructor(readonly digits: string) {}
}

/** JSON text of a value from `anyValueToJson`, keeping big integers exact. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJsonNumber) {
    return value.digits;
  }
  const marker = '\u0000raw:';
  let raw = false;
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof RawJsonNumber) {
      raw = true;
      return `${marker}${v.digits}`;
    }
    return v;
  });
  return raw ? text.replace(new RegExp(`"\\\\u0000raw:(-?\\d+)"`, 'g'), '$1') : text;
}

function keyValue(kv: unknown, path: string): [string, unknown] {
  if (typeof kv !== 'object' || kv === null || Array.isArray(kv)) {
    throw new RecordProblem('wrong-type', {
      field: path,
      expected: 'a KeyValue object',
      found: describeValue(kv)
    });
  }
  const key = (kv as JsonObject).key;
  if (typeof key !== 'string') {
    throw new RecordProblem('wrong-type', {
      field: `${path}.key`,
      expected: 'a string',
      found: describeValue(key)
    });
  }
  return [key, anyValueToJson((kv as JsonObject).value, `${path}.value`)];
}

/** Converts an OTLP `KeyValue[]` field to an attribute map (JSON text values). */
export function attributesField(obj: JsonObject, key: string, path: string): Attributes {
  const out: Attributes = {};
  arrayField(obj, key, path).forEach((kv, i) => {
    const [name, value] = keyValue(kv, `${path}.${key}[${i}]`);
    out[name] = toJsonText(value);
  });
  return out;
}

/** The promoted resource columns and the remaining resource attributes of an OTLP resource. */
export interface ResourceColumns {
  /** Column name -> value for the promoted attributes. */
  promoted: Record<string, string>;
  /** The other attributes. */
  rest: Attributes;
}

/**
 * Splits attributes into promoted columns (string values only; a non-string `service.name` stays
 * in the map so nothing is lost) and the rest.
 */
export function promoteResource(attributes: Attributes): ResourceColumns {
  const promoted: Record<string, string> = {};
  const rest: Attributes = {};
  const columns = PROMOTED_RESOURCE_ATTRIBUTES as Record<string, string>;
  for (const [key, json] of Object.entries(attributes)) {
    const column = columns[key];
    if (column && json.startsWith('"') && !(column in promoted)) {
      promoted[column] = JSON.parse(json) as string;
    } else {
      rest[key] = json;
    }
  }
  return { promoted, rest };
}
