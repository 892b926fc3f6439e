import * as fs from 'fs';
import * as path from 'path';
import { recordBatchRows } from '@opsbook/telemetry-schema';
import {
  ADAPTER_KINDS,
  AdapterKind,
  adapterFor,
  collect,
  detectAdapterKind,
  IngestError,
  isAdapterKind
} from '../src';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', 'otlp', name));

describe('adapter registry', () => {
  it('describes every kind in one line and builds an adapter for each', () => {
    for (const [kind, description] of Object.entries(ADAPTER_KINDS)) {
      expect(description).not.toContain('\n');
      const adapter = adapterFor(kind as AdapterKind, { table: 'events' });
      expect(typeof adapter.run).toBe('function');
      expect(adapter.name).toBeTruthy();
    }
    expect(isAdapterKind('otlp-proto')).toBe(true);
    expect(isAdapterKind('xml')).toBe(false);
  });

  it('detects the kind from the file extension, ignoring case and a trailing .gz', () => {
    const cases: [string, AdapterKind | null][] = [
      ['trace.json', 'otlp'],
      ['export.otlp.jsonl', 'otlp'],
      ['TRACES.PB', 'otlp-proto'],
      ['logs.binpb.gz', 'otlp-proto'],
      ['metrics.protobuf', 'otlp-proto'],
      ['scrape.prom', 'prom'],
      ['node.metrics', 'prom'],
      ['app.jsonl', 'jsonl'],
      ['app.ndjson.gz', 'jsonl'],
      ['syslog.log', 'text'],
      ['notes.txt', 'text'],
      ['deploys.csv', 'csv'],
      ['deploys.tsv', 'csv'],
      ['spans.parquet', 'parquet'],
      ['spans.arrow', 'arrow'],
      ['spans.feather', 'arrow'],
      ['README.md', null],
      ['noextension', null]
    ];
    for (const [name, kind] of cases) {
      expect([name, detectAdapterKind(name)]).toEqual([name, kind]);
    }
  });

  it('explains an unknown kind and lists the known ones', () => {
    expect(() => adapterFor('xml' as AdapterKind)).toThrow(
      new IngestError('adapter-unknown', {
        kind: 'xml',
        known: Object.keys(ADAPTER_KINDS).join(', ')
      })
    );
  });

  it.each(['csv', 'parquet', 'arrow'] as AdapterKind[])(
    'asks for the target table of a %s source',
    kind => {
      expect(() => adapterFor(kind)).toThrow(
        `The ${kind} adapter needs the option "table": say which canonical table the rows go to ` +
          '(one of spans, logs, metric_points, events).'
      );
      expect(() => adapterFor(kind, { mapping: { table: 'logs' } })).not.toThrow();
    }
  );

  it('passes log field names and the service to the JSON-lines adapter', async () => {
    const adapter = adapterFor('jsonl', {
      logFields: { timestamp: 'when', message: 'what' },
      service: 'api'
    });
    const { tables } = await collect(
      adapter,
      '{"when":"2024-05-01T12:00:00Z","what":"hello","level":"warn"}\n'
    );
    expect(recordBatchRows('logs', tables.logs!)[0]).toMatchObject({
      time: 1714564800000000000n,
      body: 'hello',
      service_name: 'api'
    });
  });

  it('reads OTLP/protobuf through the registry like OTLP/JSON', async () => {
    const json = await collect(adapterFor(detectAdapterKind('trace.json')!), fixture('trace.json'));
    expect(json.report.rowsStored).toBe(1);
    expect(adapterFor('otlp-proto', { framing: 'single' }).name).toBe('otlp-proto');
  });
});
