import * as fs from 'fs';
import * as path from 'path';
import { recordBatchRows } from '@opsbook/telemetry-schema';
import {
  collect,
  detectLogFormat,
  jsonLinesLogAdapter,
  parseCsvText,
  textLogAdapter
} from '../src';

const loghub = (name: string) => path.join(__dirname, 'fixtures', 'loghub', name);

/** The loghub ground truth: one structured record per line. */
function truth(name: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvText(
    fs.readFileSync(loghub(`${name}_300.log_structured.csv`), 'utf8')
  );
  return rows.map(row => Object.fromEntries(header.map((h, i) => [h, row[i]])));
}

describe('plain-text log adapter on loghub samples', () => {
  it.each([
    ['Hadoop', 'iso8601', 1445191307978000000n],
    ['Apache', 'ctime-bracketed', 1133671664000000000n],
    ['OpenSSH', 'syslog', 1733813746000000000n]
  ])(
    'detects the %s format and reads every line with its level and message',
    async (name, format, firstTime) => {
      const { tables, report } = await collect(
        textLogAdapter({ year: 2024 }),
        fs.readFileSync(loghub(`${name}_300.log`))
      );
      expect(report.notes).toContain(`detected log format: ${format}`);
      const rows = recordBatchRows('logs', tables.logs!);
      const expected = truth(name);
      expect(rows).toHaveLength(expected.length);
      expect(report).toMatchObject({ rowsRead: 300, rowsStored: 300, rowsQuarantined: 0 });
      expect(rows[0].time).toBe(firstTime);
      rows.forEach((row, i) => {
        expect(row.body!.trimEnd().endsWith(expected[i].Content.trim())).toBe(true);
        if (expected[i].Level) {
          expect(row.severity_text).toBe(expected[i].Level);
        }
      });
      if (name === 'OpenSSH') {
        expect(rows[0]).toMatchObject({
          host_name: 'LabSZ',
          service_name: 'sshd',
          attributes: { 'process.pid': '24200' }
        });
      }
      if (name === 'Apache') {
        expect(rows.find(r => r.severity_text === 'error')!.severity_number).toBe(17);
      }
    }
  );

  it('keeps the milliseconds of comma-fraction timestamps', async () => {
    const { tables } = await collect(
      textLogAdapter(),
      '2015-10-18 18:01:47,978 INFO [main] started\n'
    );
    expect(recordBatchRows('logs', tables.logs!)[0]).toMatchObject({
      time: 1445191307978000000n,
      severity_text: 'INFO',
      severity_number: 9,
      body: '[main] started'
    });
  });

  it('appends lines without a timestamp to the previous record (stack traces)', async () => {
    const input =
      '2024-01-01T00:00:00Z ERROR boom\n  at a.b(C.java:1)\n  at d.e(F.java:2)\n2024-01-01T00:00:01Z INFO ok\n';
    const { tables, report } = await collect(textLogAdapter(), input);
    const rows = recordBatchRows('logs', tables.logs!);
    expect(rows.map(r => r.body)).toEqual(['boom\n  at a.b(C.java:1)\n  at d.e(F.java:2)', 'ok']);
    expect(report.rowsRead).toBe(2);
  });

  it('quarantines a 10 MB line, invalid UTF-8 and a leading line without timestamp', async () => {
    const lines = [
      Buffer.from('no timestamp here\n'),
      Buffer.from('2024-01-01T00:00:00Z INFO one\n'),
      Buffer.from(`2024-01-01T00:00:01Z INFO ${'x'.repeat(10 * 1024 * 1024)}\n`),
      Buffer.from([...Buffer.from('2024-01-01T00:00:02Z INFO caf'), 0xc3, 0x28, 0x0a]),
      Buffer.from('2024-01-01T00:00:03Z WARN three\n')
    ];
    const input = Buffer.concat(lines);
    const { report } = await collect(textLogAdapter(), input, { onError: 'quarantine' });
    expect(report).toMatchObject({ rowsRead: 5, rowsStored: 2, rowsQuarantined: 3 });
    const offsetOfBadByte = lines[0].length + lines[1].length + lines[2].length + 29;
    expect(report.quarantined.map(q => [q.code, q.position])).toEqual([
      ['no-timestamp', { line: 1, byteOffset: 0 }],
      ['line-too-long', { line: 3, byteOffset: lines[0].length + lines[1].length }],
      ['invalid-utf8', { line: 4, byteOffset: offsetOfBadByte }]
    ]);
    expect(report.quarantined[2].reason).toBe(
      `Invalid UTF-8 at byte ${offsetOfBadByte}. Re-encode the input as UTF-8. ` +
        'Fix the record at the source, or ingest with onError: "quarantine" to keep the rest.'
    );
  });

  it('does not detect a format in free text', () => {
    expect(detectLogFormat(['hello', 'world'], 2024)).toBeNull();
  });
});

describe('JSON-lines log adapter', () => {
  it('detects the time, level, service and message fields and keeps the rest as attributes', async () => {
    const input = [
      {
        '@timestamp': '2024-05-01T12:00:00.123456789Z',
        level: 'warn',
        service: 'cart',
        msg: 'slow',
        user: { id: 7 }
      },
      { '@timestamp': 1714564800, level: 'error', service: 'cart', msg: 'down', trace_id: 'ABC' }
    ]
      .map(o => JSON.stringify(o))
      .join('\n');
    const { tables } = await collect(jsonLinesLogAdapter(), input);
    const rows = recordBatchRows('logs', tables.logs!);
    expect(rows[0]).toMatchObject({
      time: 1714564800123456789n,
      severity_text: 'warn',
      severity_number: 13,
      service_name: 'cart',
      body: 'slow',
      attributes: { user: '{"id":7}' }
    });
    expect(rows[1]).toMatchObject({
      time: 1714564800000000000n,
      trace_id: 'abc',
      severity_number: 17
    });
  });

  it('quarantines truncated JSON, wrong types and bad timestamps with exact reasons', async () => {
    const input = [
      '{"time":"2024-05-01T12:00:00Z","msg":"ok"}',
      '{"time":"2024-05-01T12:00:00Z","msg":"cut',
      '[1,2]',
      '{"time":"yesterday","msg":"x"}',
      '{"msg":"no time"}'
    ].join('\n');
    const { report } = await collect(jsonLinesLogAdapter(), input, { onError: 'quarantine' });
    expect(report).toMatchObject({ rowsRead: 5, rowsStored: 1, rowsQuarantined: 4 });
    expect(report.quarantined.map(q => [q.position.line, q.reason.split('. ')[0]])).toEqual([
      [2, expect.stringMatching(/^Line is not a JSON object \(Unterminated string in JSON/)],
      [3, 'Line is not a JSON object (it is an array)'],
      [4, 'Field "time" has an invalid timestamp the string "yesterday"'],
      [5, 'No timestamp found in field "time"']
    ]);
  });

  it('rejects the first bad line by default, with its line number', async () => {
    await expect(collect(jsonLinesLogAdapter(), '{"time":1}\n{oops}\n')).rejects.toThrow(
      /^line 2, byte 11: Line is not a JSON object/
    );
  });
});
