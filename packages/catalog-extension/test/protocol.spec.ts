import { normalizeDataset, normalizeDetail, normalizeMessage, positionText } from '../src/protocol';

describe('normalizeDataset', () => {
  it("reads the server's dataset view, metrics sorted with the other tables", () => {
    const d = normalizeDataset({
      name: 'checkout',
      latestManifestId: 'm1',
      updated: '2025-01-01T00:00:00.000Z',
      by: 'ana',
      tables: {
        metrics: { snapshotId: 's2', snapshotIds: ['s2'], rows: 5, timeRange: null },
        spans: {
          snapshotId: 's1',
          snapshotIds: ['s0', 's1'],
          rows: 10,
          timeRange: { start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T01:00:00.000Z' }
        }
      }
    });
    expect(d).toEqual({
      name: 'checkout',
      manifestId: 'm1',
      updated: '2025-01-01T00:00:00.000Z',
      by: 'ana',
      tables: [
        {
          table: 'spans',
          rows: 10,
          snapshotId: 's1',
          snapshots: 2,
          timeRange: { start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T01:00:00.000Z' }
        },
        { table: 'metrics', rows: 5, snapshotId: 's2', snapshots: 1, timeRange: null }
      ]
    });
  });

  it("also reads @opsbook/catalog's DatasetInfo (ns time ranges, latest manifest)", () => {
    const d = normalizeDataset({
      name: 'x',
      latest: { id: 'm', createdAt: '2025-01-01T00:00:00.000Z', createdBy: 'ben' },
      tables: {
        logs: {
          rowCount: 3,
          snapshots: 1,
          timeRange: { min: '1735689600000000000', max: '1735689601000000000' }
        }
      }
    });
    expect(d.manifestId).toBe('m');
    expect(d.by).toBe('ben');
    expect(d.tables[0]).toMatchObject({
      table: 'logs',
      rows: 3,
      timeRange: { start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T00:00:01.000Z' }
    });
  });
});

describe('normalizeDetail', () => {
  it('attaches lineage to its snapshot and reads the schema and quality', () => {
    const detail = normalizeDetail(
      {
        dataset: { name: 'checkout' },
        snapshots: [
          {
            id: 'b',
            dataset: 'checkout',
            table: 'spans',
            schemaVersion: 1,
            schema: { columns: [{ name: 'trace_id', type: 'VARCHAR', nullable: false }] },
            rows: 2,
            parents: ['a'],
            adapter: { name: 'otlp-json', version: '0.1.0' },
            quality: {
              rowsIn: 3,
              duplicatesWithinInput: 1,
              duplicatesOfEarlierSnapshots: 0,
              rowsQuarantined: 1,
              quarantineReasons: { 'bad-id': { rows: 1, example: 'line 2: bad id' } },
              outOfOrderRows: 0,
              maxLatenessNs: 0,
              nullRates: { trace_id: 0 }
            },
            by: 'ana',
            at: '2025-01-01T00:00:00.000Z'
          }
        ],
        lineage: [
          {
            snapshotId: 'b',
            ancestors: [{ id: 'a', depth: 1, table: 'spans', dataset: 'checkout' }]
          }
        ]
      },
      'checkout'
    );
    const s = detail.snapshots[0];
    expect(detail.dataset).toBe('checkout');
    expect(s.columns).toEqual([{ name: 'trace_id', type: 'VARCHAR' }]);
    expect(s.user).toBe('ana');
    expect(s.quality!.quarantineReasons).toEqual([
      { code: 'bad-id', rows: 1, example: 'line 2: bad id' }
    ]);
    expect(s.ancestors).toEqual([{ id: 'a', depth: 1, table: 'spans', dataset: 'checkout' }]);
  });
});

describe('normalizeMessage', () => {
  it('reads progress, report and error lines', () => {
    expect(normalizeMessage({ type: 'progress', bytesRead: 10, rowsRead: 2 })).toEqual({
      type: 'progress',
      bytesRead: 10,
      rowsRead: 2
    });
    const report = normalizeMessage({
      type: 'report',
      report: {
        dataset: 'd',
        rowsIn: 5,
        rowsStored: 0,
        duplicatesDropped: 5,
        rowsQuarantined: 0,
        quarantine: [],
        unchanged: true,
        tables: { spans: { rowsIn: 5, duplicatesDropped: 5, rowsStored: 0, snapshotId: null } },
        notes: []
      },
      snapshots: []
    });
    expect(report).toMatchObject({
      type: 'report',
      report: { rowsRead: 5, rowsStored: 0, duplicatesDropped: 5, unchanged: true }
    });
    expect(
      normalizeMessage({
        type: 'error',
        error: {
          code: 'json-syntax',
          message: 'Malformed JSON',
          position: { line: 3, byteOffset: 40 }
        }
      })
    ).toEqual({
      type: 'error',
      error: {
        code: 'json-syntax',
        message: 'Malformed JSON',
        position: { line: 3, byteOffset: 40 }
      }
    });
    expect(normalizeMessage({ type: 'something-new' })).toBeNull();
  });
});

describe('positionText', () => {
  it('names the line, byte and record that are known', () => {
    expect(positionText({ line: 3, byteOffset: 40, record: 'resourceSpans[0]' })).toBe(
      'line 3, byte 40, record resourceSpans[0]'
    );
    expect(positionText(null)).toBe('');
  });
});
