import { recordBatchRows } from '@opsbook/telemetry-schema';
import { alertmanagerAdapter, collect } from '../src';

const payload = {
  version: '4',
  groupKey: '{}:{alertname="HighLatency"}',
  status: 'firing',
  receiver: 'opsbook',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'HighLatency',
        severity: 'page',
        service: 'checkout',
        namespace: 'shop'
      },
      annotations: { summary: 'p99 > 2s', description: 'checkout p99 latency is 2.4s' },
      startsAt: '2024-05-01T12:00:00.123456789Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph?g0.expr=x',
      fingerprint: 'c6b2bd1a3f1a2b3c'
    },
    {
      status: 'resolved',
      labels: { alertname: 'DiskFull', job: 'node' },
      annotations: {},
      startsAt: '2024-05-01T11:00:00Z',
      endsAt: '2024-05-01T11:30:00Z',
      fingerprint: 'aa'
    }
  ]
};

describe('Alertmanager webhook adapter', () => {
  it('turns each alert into an event row', async () => {
    const { tables, report } = await collect(alertmanagerAdapter(), JSON.stringify(payload));
    const [a, b] = recordBatchRows('events', tables.events!);
    expect(a).toMatchObject({
      time: 1714564800123456789n,
      end_time: null,
      event_type: 'alert',
      name: 'HighLatency',
      status: 'firing',
      severity: 'page',
      summary: 'p99 > 2s',
      body: 'checkout p99 latency is 2.4s',
      source: 'alertmanager',
      event_id: 'c6b2bd1a3f1a2b3c',
      service_name: 'checkout',
      k8s_namespace_name: 'shop'
    });
    expect(a.attributes['annotation.summary']).toBe('"p99 > 2s"');
    expect(b).toMatchObject({
      status: 'resolved',
      end_time: 1714563000000000000n,
      service_name: 'node'
    });
    expect(report).toMatchObject({ rowsRead: 2, rowsStored: 2 });
  });

  it('quarantines an alert with a bad startsAt and one without alertname', async () => {
    const bad = {
      ...payload,
      alerts: [
        { ...payload.alerts[0], startsAt: 'noon' },
        { ...payload.alerts[1], labels: {} },
        payload.alerts[1]
      ]
    };
    const { report } = await collect(alertmanagerAdapter(), JSON.stringify(bad), {
      onError: 'quarantine'
    });
    expect(report).toMatchObject({ rowsRead: 3, rowsStored: 1, rowsQuarantined: 2 });
    expect(report.quarantined.map(q => q.reason.split('. ')[0])).toEqual([
      'Field "startsAt" has an invalid timestamp the string "noon"',
      'Required field "labels.alertname" is missing or empty'
    ]);
  });
});
