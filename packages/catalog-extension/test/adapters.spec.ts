import { datasetNameProblem, kindForFile } from '../src/adapters';

describe('kindForFile', () => {
  it('pre-selects the adapter from the extension, as the server detects it', () => {
    const cases: Record<string, string | null> = {
      'trace.json': 'otlp',
      'TRACE.JSON': 'otlp',
      'export.otlp.jsonl': 'otlp',
      'spans.pb': 'otlp-proto',
      'spans.pb.gz': 'otlp-proto',
      'app.jsonl': 'jsonl',
      'app.ndjson': 'jsonl',
      'syslog.log': 'text',
      'notes.txt': 'text',
      'table.csv': 'csv',
      'table.parquet': 'parquet',
      'batches.arrow': 'arrow',
      'batches.arrows': 'arrow',
      'scrape.prom': 'prom',
      README: null,
      'image.png': null
    };
    for (const [name, kind] of Object.entries(cases)) {
      expect({ name, kind: kindForFile(name) }).toEqual({ name, kind });
    }
  });
});

describe('datasetNameProblem', () => {
  it('accepts plain SQL identifiers and says why others are refused', () => {
    expect(datasetNameProblem('default')).toBeNull();
    expect(datasetNameProblem('checkout_2024')).toBeNull();
    expect(datasetNameProblem('')).toContain('Give a dataset name');
    expect(datasetNameProblem('Prod Metrics')).toContain('lower-case letters');
    expect(datasetNameProblem('1st')).toContain('not starting with a digit');
  });
});
