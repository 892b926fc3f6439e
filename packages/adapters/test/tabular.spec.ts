import { tableToIPC, tableFromArrays } from 'apache-arrow';
import { recordBatchRows } from '@opsbook/telemetry-schema';
import { arrowIpcAdapter, collect, csvAdapter, TableMapping } from '../src';

const deploys: TableMapping = {
  table: 'events',
  columns: { time: 'deployed_at', name: 'title', service_name: 'service', event_id: 'id' },
  constants: { event_type: 'deploy', source: 'ci' }
};

describe('CSV adapter', () => {
  it('maps columns into the events table and keeps unmapped columns as attributes', async () => {
    const csv =
      'id,deployed_at,service,title,commit\n' +
      '1,2024-05-01T12:00:00Z,checkout,"Deploy v1.2, with ""fix""",abc\n' +
      '2,1714564900,cart,"multi\nline",def\n';
    const { tables, report } = await collect(csvAdapter({ mapping: deploys }), csv);
    const rows = recordBatchRows('events', tables.events!);
    expect(rows[0]).toMatchObject({
      time: 1714564800000000000n,
      event_type: 'deploy',
      source: 'ci',
      name: 'Deploy v1.2, with "fix"',
      service_name: 'checkout',
      event_id: '1',
      attributes: { commit: '"abc"' }
    });
    expect(rows[1]).toMatchObject({ time: 1714564900000000000n, name: 'multi\nline' });
    expect(report).toMatchObject({ rowsRead: 2, rowsStored: 2 });
  });

  it('quarantines rows with the wrong width or a bad timestamp', async () => {
    const csv =
      'id,deployed_at,service,title,commit\n1,2024-05-01T12:00:00Z,a,b,c\n2,x\n3,never,a,b,c\n';
    const { report } = await collect(csvAdapter({ mapping: deploys }), csv, {
      onError: 'quarantine'
    });
    expect(report).toMatchObject({ rowsRead: 3, rowsStored: 1, rowsQuarantined: 2 });
    expect(report.quarantined.map(q => q.reason.split('. ')[0])).toEqual([
      'Row has 2 fields but the header has 5',
      'Column "time" cannot hold the string "never" (an ISO-8601 time or epoch number expected)'
    ]);
  });

  it('fails with a clear error when the mapping names a missing column', async () => {
    await expect(collect(csvAdapter({ mapping: deploys }), 'a,b\n1,2\n')).rejects.toThrow(
      'Mapping names column "deployed_at", which the input does not have (it has a, b). Fix the column mapping.'
    );
  });
});

describe('Arrow IPC adapter', () => {
  it('maps an Arrow IPC stream into the metric_points table', async () => {
    const table = tableFromArrays({
      ts: ['2024-05-01T12:00:00Z', '2024-05-01T12:00:15Z'],
      value: Float64Array.from([0.5, 0.75]),
      host: ['a', 'b']
    });
    const mapping: TableMapping = {
      table: 'metric_points',
      columns: { time: 'ts', value: 'value', host_name: 'host' },
      constants: { metric_name: 'cpu', metric_type: 'gauge' }
    };
    const { tables } = await collect(arrowIpcAdapter({ mapping }), tableToIPC(table, 'stream'));
    const rows = recordBatchRows('metric_points', tables.metric_points!);
    expect(rows.map(r => [r.time, r.value, r.host_name, r.metric_name])).toEqual([
      [1714564800000000000n, 0.5, 'a', 'cpu'],
      [1714564815000000000n, 0.75, 'b', 'cpu']
    ]);
  });

  it('reports input that is not Arrow', async () => {
    const mapping: TableMapping = { table: 'logs', columns: {} };
    await expect(collect(arrowIpcAdapter({ mapping }), 'not arrow at all')).rejects.toThrow(
      /not a readable Arrow IPC stream or file/
    );
  });
});
