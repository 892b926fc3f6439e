import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  isTelemetryMetadata,
  METADATA_KEY,
  newTelemetryMetadata,
  readChartConfig,
  readResultName,
  resultNameProblem
} from '../src/metadata';

const root = path.join(__dirname, '..', '..', '..');
const schema = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'schema', 'cell-metadata.schema.json'), 'utf8')
);
const validate = new Ajv({ allErrors: true }).compile(schema);

describe('telemetry cell metadata', () => {
  it('marks new cells with the current version', () => {
    const metadata = { [METADATA_KEY]: newTelemetryMetadata() };
    expect(isTelemetryMetadata(metadata)).toBe(true);
    expect(validate(metadata[METADATA_KEY])).toBe(true);
  });

  it('ignores a malformed chart choice instead of failing', () => {
    expect(
      readChartConfig({ opsbook: { version: 1, kind: 'telemetry', chart: { mark: 'pie' } } })
    ).toBeNull();
  });

  it('rejects unknown marks and fields in the schema', () => {
    expect(validate({ version: 1, kind: 'telemetry', chart: { mark: 'pie' } })).toBe(false);
    expect(validate({ version: 1, kind: 'telemetry', extra: true })).toBe(false);
    expect(validate({ version: 2, kind: 'telemetry' })).toBe(false);
  });

  const examples = fs
    .readdirSync(path.join(root, 'examples'))
    .filter(f => f.endsWith('.ipynb'))
    .map(f => path.join(root, 'examples', f));

  it('has example notebooks to check', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples)('validates every telemetry cell of %s against the schema', file => {
    const notebook = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(notebook.nbformat).toBe(4);
    const telemetry = notebook.cells.filter((c: { metadata: object }) =>
      isTelemetryMetadata(c.metadata)
    );
    expect(telemetry.length).toBeGreaterThanOrEqual(5);
    for (const cell of telemetry) {
      expect(cell.cell_type).toBe('code');
      const ok = validate(cell.metadata[METADATA_KEY]);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });
});

describe('result names', () => {
  it('reads a valid result name and ignores a malformed one', () => {
    expect(readResultName({ opsbook: { kind: 'telemetry', resultName: 'slow_ops' } })).toBe(
      'slow_ops'
    );
    expect(readResultName({ opsbook: { kind: 'telemetry', resultName: 'Slow Ops' } })).toBeNull();
    expect(readResultName({ opsbook: { kind: 'telemetry', resultName: 42 } })).toBeNull();
    expect(readResultName({ opsbook: { kind: 'telemetry' } })).toBeNull();
    expect(readResultName(undefined)).toBeNull();
  });

  it('says what is wrong with a bad name and what to do', () => {
    expect(resultNameProblem('slow_ops')).toBeNull();
    expect(resultNameProblem('_tmp1')).toBeNull();
    expect(resultNameProblem('1st')).toMatch(/not a valid result name: use 1 to 63 lower-case/);
    expect(resultNameProblem('a'.repeat(64))).toMatch(/not a valid result name/);
    expect(resultNameProblem('x; DROP TABLE spans')).toMatch(/not a valid result name/);
    expect(resultNameProblem('select')).toMatch(/reserved SQL word; choose another/);
    expect(resultNameProblem('spans', ['spans', 'logs'])).toMatch(/is a dataset; .* hide it/);
  });
});
