import * as fs from 'fs';
import * as path from 'path';
import { idempotenceKey, recordBatchRows, TableName } from '@opsbook/telemetry-schema';
import {
  Deduplicator,
  ingest,
  otlpJsonAdapter,
  ServiceCatalog,
  textLogAdapter,
  collect
} from '../src';

const otlp = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', 'otlp', name));

describe('Deduplicator', () => {
  it.each([
    ['spans', 'trace.json'],
    ['logs', 'logs.json'],
    ['metric_points', 'metrics.json']
  ])('adds no %s the second time the same input is ingested', async (table, file) => {
    const dedupe = new Deduplicator(table as TableName);
    const counts: number[] = [];
    for (let round = 0; round < 2; round++) {
      let kept = 0;
      for await (const out of ingest(otlpJsonAdapter(), otlp(file))) {
        kept += dedupe.filter(out.batch).numRows;
      }
      counts.push(kept);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBe(0);
    expect(dedupe.duplicatesDropped).toBe(counts[0]);
  });

  it('drops duplicate log lines within one text log but keeps distinct ones', async () => {
    const text =
      '2024-01-01T00:00:00Z INFO a\n2024-01-01T00:00:00Z INFO a\n2024-01-01T00:00:00Z INFO b\n';
    const dedupe = new Deduplicator('logs');
    let kept = 0;
    for await (const out of ingest(textLogAdapter(), text)) {
      kept += dedupe.filter(out.batch).numRows;
    }
    expect([kept, dedupe.duplicatesDropped]).toEqual([2, 1]);
  });

  it('keys metric points by series and time, not by value', async () => {
    const { tables } = await collect(otlpJsonAdapter(), otlp('metrics.json'));
    const [row] = recordBatchRows('metric_points', tables.metric_points!);
    const key = idempotenceKey('metric_points', row);
    expect(idempotenceKey('metric_points', { ...row, value: 99 })).toBe(key);
    expect(idempotenceKey('metric_points', { ...row, time: row.time + 1n })).not.toBe(key);
    expect(idempotenceKey('metric_points', { ...row, attributes: { x: '1' } })).not.toBe(key);
  });
});

describe('service catalog', () => {
  it('enriches every row from a CSV catalog', async () => {
    const catalog = ServiceCatalog.parse(
      'service,team,tier,repository\nmy.service,payments,1,github.com/acme/svc\n'
    );
    const { tables } = await collect(otlpJsonAdapter(), otlp('trace.json'), { catalog });
    expect(recordBatchRows('spans', tables.spans!)[0]).toMatchObject({
      service_team: 'payments',
      service_tier: '1',
      service_repository: 'github.com/acme/svc'
    });
  });

  it('reads a JSON catalog with owner and repo aliases, and rejects entries without service', () => {
    const catalog = ServiceCatalog.parse('[{"service":"a","owner":"t","repo":"r"}]');
    expect(catalog.lookup('a')).toEqual({
      service: 'a',
      team: 't',
      tier: undefined,
      repository: 'r'
    });
    expect(() => ServiceCatalog.parse('[{"team":"x"}]')).toThrow(
      'The service catalog is invalid: entry 1 has no service.'
    );
  });
});
