import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tableFromIPC, tableToIPC, Table, TimestampNanosecond } from 'apache-arrow';
import {
  arrowSchema,
  emptyRow,
  idempotenceKey,
  recordBatchRows,
  renderSchemaDocs,
  Row,
  rowsRoundTrip,
  rowsToRecordBatch,
  portableSha256Hex,
  sha256Hex,
  TABLE_NAMES,
  TableName
} from '@opsbook/telemetry-schema';

const docFile = path.join(__dirname, '..', '..', '..', 'docs', 'telemetry-schema.md');

describe('telemetry schema', () => {
  it('has an up-to-date docs/telemetry-schema.md (run "npm run docs -w packages/telemetry-schema")', () => {
    expect(fs.readFileSync(docFile, 'utf8')).toBe(renderSchemaDocs());
  });

  it('types every timestamp column as Timestamp(NANOSECOND, UTC)', () => {
    for (const table of TABLE_NAMES) {
      for (const field of arrowSchema(table).fields.filter(f => /time$/.test(f.name))) {
        expect(field.type).toBeInstanceOf(TimestampNanosecond);
        expect((field.type as TimestampNanosecond).timezone).toBe('UTC');
      }
    }
  });

  it('says rows round-trip through Arrow exactly when they do, and not when they would change', () => {
    const good = {
      ...emptyRow('metric_points'),
      time: -(2n ** 63n),
      metric_name: 'é😀',
      metric_type: 'gauge',
      value: -0,
      exp_scale: -(2 ** 31),
      is_monotonic: true,
      bucket_counts: [2n ** 63n - 1n],
      explicit_bounds: [NaN],
      attributes: { k: '"v"', n: null as unknown as string }
    } as Row<'metric_points'>;
    expect(rowsRoundTrip('metric_points', [good])).toBe(true);
    const back = recordBatchRows('metric_points', rowsToRecordBatch('metric_points', [good]));
    expect(back).toEqual([good]);
    const changes: Record<string, unknown>[] = [
      { metric_name: 'lone \ud800' },
      { attributes: { '\udc00': '1' } },
      { exp_scale: 1.5 },
      { exp_scale: 2 ** 31 },
      { value_int: 5 },
      { time: 2n ** 63n },
      { value: '1' },
      { is_monotonic: 1 },
      { bucket_counts: [1] },
      { explicit_bounds: [1n] },
      { attributes: { k: 1 } }
    ];
    for (const change of changes) {
      expect(rowsRoundTrip('metric_points', [{ ...good, ...change } as Row<'metric_points'>])).toBe(
        false
      );
    }
  });

  it('keeps the idempotence keys of logs and events as they were (bigints written as "<n>n")', () => {
    const asBefore = (values: unknown[]) =>
      sha256Hex(JSON.stringify(values, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    const log = {
      ...emptyRow('logs'),
      time: 1763000000123456789n,
      service_name: 'svc',
      body: 'quote " line\u2028 é',
      attributes: { z: '1', a: '"x"' }
    };
    expect(idempotenceKey('logs', log)).toBe(
      asBefore([
        log.time,
        'svc',
        log.body,
        [
          ['a', '"x"'],
          ['z', '1']
        ]
      ])
    );
    const event = {
      ...emptyRow('events'),
      time: -5n,
      event_type: 'deploy',
      name: 'v2',
      source: null
    } as Row<'events'>;
    expect(idempotenceKey('events', event)).toBe(asBefore(['deploy', null, 'v2', -5n]));
  });

  it('computes SHA-256 like Node crypto, for ASCII, multi-byte and block-edge inputs', () => {
    const texts = ['', 'abc', 'é😀', 'x'.repeat(55), 'x'.repeat(56), 'y'.repeat(1000), 'a\ud800b'];
    for (const text of texts) {
      const expected = crypto.createHash('sha256').update(text).digest('hex');
      expect(sha256Hex(text)).toBe(expected);
      // The browser path gives the same digest, lone surrogates included (both encode U+FFFD).
      expect(portableSha256Hex(text)).toBe(expected);
    }
  });
});

/** A fixture's rows, of its own table: a union over the tables, so each is checked. */
type EdgeCase = { [T in TableName]: { name: string; table: T; rows: () => Row<T>[] } }[TableName];

/**
 * Arrow fixtures, one per type edge case we normalise: nanosecond timestamps that milliseconds would
 * round, 64-bit integers beyond 2^53 (from OTLP's JSON strings), empty maps and nulls. Each
 * fixture is a checked-in IPC file; the test rebuilds it from rows and compares bytes, then reads
 * it back losslessly. Set UPDATE_ARROW_FIXTURES=1 to rewrite them after a deliberate change.
 */
const edgeCases: EdgeCase[] = [
  {
    name: 'nanosecond-timestamps',
    table: 'logs',
    rows: () => {
      const row = emptyRow('logs');
      row.time = 1544712660300000001n;
      row.observed_time = 9223372036854775807n;
      return [row];
    }
  },
  {
    name: 'int64-from-strings',
    table: 'metric_points',
    rows: () => {
      const row = emptyRow('metric_points');
      Object.assign(row, {
        time: 1n,
        metric_name: 'big',
        metric_type: 'histogram',
        count: 9007199254740993n,
        value_int: -9223372036854775808n,
        bucket_counts: [18446744073709551n, 0n],
        explicit_bounds: [1.5]
      });
      return [row];
    }
  },
  {
    name: 'empty-maps-and-nulls',
    table: 'spans',
    rows: () => {
      const row = emptyRow('spans');
      Object.assign(row, {
        trace_id: '5b8efff798038103d269b633813fc60c',
        span_id: 'eee19b7ec3c1b174',
        name: '',
        kind: 'internal',
        start_time: 0n,
        status_code: 'unset'
      });
      const second = {
        ...emptyRow('spans'),
        ...row,
        attributes: { 'k.empty': '""', 'k.null': 'null' }
      };
      return [row, second];
    }
  }
];

describe('Arrow fixtures for type edge cases', () => {
  it.each(edgeCases.map(c => [c.name, c]))(
    '%s round-trips losslessly and matches its fixture',
    (_n, c) => {
      const rows = c.rows();
      // `Row<TableName>` is not a union of each table's rows, so widen to it for the call.
      const batch = rowsToRecordBatch<TableName>(c.table, rows as Row<TableName>[]);
      const bytes = tableToIPC(new Table([batch]), 'file');
      const file = path.join(__dirname, 'fixtures', `${c.name}.arrow`);
      if (process.env.UPDATE_ARROW_FIXTURES) {
        fs.writeFileSync(file, bytes);
      }
      const fixture = tableFromIPC(fs.readFileSync(file));
      expect(recordBatchRows(c.table, fixture)).toEqual(rows);
      expect(fixture.schema.metadata.get('opsbook.telemetry.table')).toBe(c.table);
      expect(Buffer.from(bytes).equals(fs.readFileSync(file))).toBe(true);
    }
  );
});
