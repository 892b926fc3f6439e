/**
 * Alertmanager webhook adapter: each payload (`{"version":"4","status":...,"alerts":[...]}`, one
 * per document or per line) becomes one `events` row per alert: `time` = `startsAt`, `end_time` =
 * `endsAt` (null for Alertmanager's zero time `0001-01-01T00:00:00Z`), `name` = `alertname`,
 * `status`, `severity` label, `summary`/`body` from the `summary`/`description` annotations,
 * `event_id` = fingerprint, `url` = generatorURL. Labels go to `attributes`, annotations to
 * `attributes` as `annotation.<name>`; `job`/`service` labels give `service_name`.
 */
import { describeValue, RecordProblem } from './errors';
import { Adapter } from './ingest';
import { streamJsonElements } from './json-stream';
import { parseIso } from './timestamps';

const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);

/** Creates the Alertmanager webhook adapter. */
export function alertmanagerAdapter(): Adapter {
  return {
    name: 'alertmanager',
    async *run(chunks, ctx) {
      const events = streamJsonElements(chunks, {
        targets: [[]],
        maxElementBytes: ctx.limits.maxRecordBytes
      });
      for await (const event of events) {
        if (event.kind === 'error') {
          ctx.problem(event.code, event.details, { byteOffset: event.byteOffset }, event.raw);
          if (event.fatal) return;
          continue;
        }
        if (event.kind !== 'element') continue;
        const payload = event.value as Record<string, unknown>;
        const base = { byteOffset: event.byteOffset, record: `payload ${event.index + 1}` };
        if (!payload || typeof payload !== 'object' || !Array.isArray(payload.alerts)) {
          ctx.problem(
            'wrong-type',
            { field: 'alerts', expected: 'an array', found: describeValue(payload?.alerts) },
            base
          );
          continue;
        }
        payload.alerts.forEach((alert: unknown, i: number) => {
          const position = { ...base, record: `${base.record}, alerts[${i}]` };
          ctx.guard(position, JSON.stringify(alert), () => {
            if (typeof alert !== 'object' || alert === null) {
              throw new RecordProblem('wrong-type', {
                field: 'alert',
                expected: 'an object',
                found: describeValue(alert)
              });
            }
            const a = alert as Record<string, unknown>;
            const labels = (a.labels ?? {}) as Record<string, unknown>;
            const annotations = (a.annotations ?? {}) as Record<string, unknown>;
            const row = ctx.row('events');
            const startsAt = str(a.startsAt);
            const time = startsAt ? parseIso(startsAt) : null;
            if (time === null) {
              throw new RecordProblem('bad-timestamp', {
                field: 'startsAt',
                value: describeValue(a.startsAt)
              });
            }
            row.time = time;
            const endsAt = str(a.endsAt);
            const end = endsAt && !endsAt.startsWith('0001-') ? parseIso(endsAt) : null;
            if (endsAt && !endsAt.startsWith('0001-') && end === null) {
              throw new RecordProblem('bad-timestamp', {
                field: 'endsAt',
                value: describeValue(endsAt)
              });
            }
            row.end_time = end;
            row.event_type = 'alert';
            row.name = str(labels.alertname) ?? '';
            if (!row.name) {
              throw new RecordProblem('missing-field', { field: 'labels.alertname' });
            }
            row.status = str(a.status) ?? str(payload.status);
            row.severity = str(labels.severity);
            row.summary = str(annotations.summary);
            row.body = str(annotations.description);
            row.source = 'alertmanager';
            row.event_id = str(a.fingerprint);
            row.url = str(a.generatorURL);
            row.service_name = str(labels.service) ?? str(labels.job);
            row.service_instance_id = str(labels.instance);
            row.k8s_namespace_name = str(labels.namespace);
            row.k8s_pod_name = str(labels.pod);
            for (const [key, value] of Object.entries(labels)) {
              row.attributes[key] = JSON.stringify(value);
            }
            for (const [key, value] of Object.entries(annotations)) {
              row.attributes[`annotation.${key}`] = JSON.stringify(value);
            }
            if (str(payload.receiver)) {
              row.attributes['alertmanager.receiver'] = JSON.stringify(payload.receiver);
            }
            ctx.emit('events', row, position);
          });
        });
        yield;
      }
    }
  };
}
