import { DuckDBInstance } from '@duckdb/node-api';
import { TELEMETRY_MACROS } from '../src/macros';
import { createNodeEngine } from '../src/node';

/** Attribute values as the telemetry schema stores them (JSON text), and what attr() returns. */
const CASES: [unknown, string][] = [
  ['/api/checkout', '/api/checkout'],
  ['a"b\\c/d\ne\tf\r\\n', 'a"b\\c/d\ne\tf\r\\n'],
  [504, '504'],
  [true, 'true'],
  [['x', 1], '["x",1]'],
  [{ k: 'v' }, '{"k":"v"}']
];

const SQL = `SELECT i, attr(MAP {'k': v}, 'k') AS value, attr(MAP {'k': v}, 'other') AS missing
FROM (VALUES ${CASES.map(([v], i) => `(${i}, '${JSON.stringify(v).replace(/'/g, "''")}')`).join(', ')}) t(i, v)
ORDER BY i`;

describe('TELEMETRY_MACROS', () => {
  it('attr() decodes JSON attribute values in native DuckDB', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const statement of TELEMETRY_MACROS) {
        await connection.run(statement);
      }
      const rows = (await connection.runAndReadAll(SQL)).getRowObjectsJson();
      expect(rows.map(r => r.value)).toEqual(CASES.map(([, text]) => text));
      expect(rows.every(r => r.missing === null)).toBe(true);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('attr() gives the same answers in the engine (DuckDB-WASM), which defines it at startup', async () => {
    const engine = await createNodeEngine();
    try {
      const rows = (await engine.query(SQL)).table.toArray().map(r => r.toJSON());
      expect(rows.map(r => r.value)).toEqual(CASES.map(([, text]) => text));
      expect(rows.every(r => r.missing === null)).toBe(true);
    } finally {
      await engine.dispose();
    }
  });
});
