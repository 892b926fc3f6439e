/**
 * Change and alert events: every deploy, rollback and restart on the timeline, the scenario's
 * alerts firing and resolving, and the alert of the harmless noise episode. A few dozen rows at most, built as a
 * plain array.
 */
import { hashString } from './random';
import { EventRow } from './schema';
import { MINUTE_US, Timeline } from './timeline';

/** The alert rule and threshold of the noise episodes' alerts. */
const EPISODE_CONDITION = {
  metric: 'http.server.request.duration.p99',
  threshold_ms: 200,
  for: '3m'
};

/** A short, stable commit-like id for a service version. */
function commitOf(service: string, version: string): string {
  return hashString(`${service}:${version}:commit`).toString(16).padStart(8, '0').slice(0, 7);
}

/**
 * Lists the events of a timeline, sorted by time (ties in the order they are listed here).
 */
export function buildEvents(timeline: Timeline): EventRow[] {
  const events: EventRow[] = [];
  for (const change of timeline.changes) {
    if (change.kind === 'restart') {
      const summary = `Restarted ${change.service}: ${change.change}`;
      events.push({
        timestampUs: change.timeUs,
        serviceName: change.service,
        kind: 'restart',
        eventId: hashString(`${change.service}:${change.timeUs}:restart`).toString(16),
        name: `Restarted ${change.service}`,
        status: 'succeeded',
        severity: 'warning',
        summary,
        source: 'kubernetes',
        attributes: { version: change.toVersion, reason: change.change, actor: 'kubelet' }
      });
      continue;
    }
    const commit = commitOf(change.service, change.toVersion);
    const summary =
      change.kind === 'rollback'
        ? `Rolled back ${change.service} to ${change.toVersion}`
        : `Deployed ${change.service} ${change.toVersion}`;
    events.push({
      timestampUs: change.timeUs,
      serviceName: change.service,
      kind: change.kind,
      eventId: `${change.service}-${change.toVersion}-${commit}`,
      name: summary,
      status: 'succeeded',
      severity: change.kind === 'rollback' ? 'warning' : 'info',
      summary,
      source: change.kind === 'rollback' ? 'oncall' : 'argo-cd',
      attributes: {
        from_version: change.fromVersion,
        to_version: change.toVersion,
        commit,
        change: change.change,
        actor: change.kind === 'rollback' ? 'oncall' : 'argo-cd',
        strategy: 'rolling'
      }
    });
  }

  const alert = (
    timeUs: number,
    service: string,
    rule: string,
    state: 'firing' | 'resolved',
    severity: 'warning' | 'critical',
    summary: string,
    condition: Record<string, string | number>
  ): void => {
    events.push({
      timestampUs: timeUs,
      serviceName: service,
      kind: 'alert',
      eventId: hashString(`${service}:${rule}:alert`).toString(16).padStart(8, '0'),
      name: rule,
      status: state,
      severity: state === 'firing' ? severity : 'info',
      summary: `[${state.toUpperCase()}] ${rule}: ${summary}`,
      source: 'alertmanager',
      attributes: { rule, state, ...condition }
    });
  };

  const duration = timeline.incidentEndUs - timeline.incidentStartUs;
  const lastUs = timeline.endUs - 1;
  for (const a of timeline.alerts) {
    // Alert evaluation runs on the minute plus a few seconds; keep both inside short windows.
    const fire =
      timeline.incidentStartUs +
      (a.firesAtFraction === undefined
        ? Math.min(a.firesAfterMin * MINUTE_US + 15e6, duration / 2)
        : Math.round((a.firesAtFraction * duration) / MINUTE_US) * MINUTE_US + 15e6);
    const resolve = Math.min(
      lastUs,
      timeline.incidentEndUs + a.resolvesAfterMin * MINUTE_US + 15e6
    );
    alert(fire, a.service, a.rule, 'firing', a.severity, a.summary, a.condition);
    alert(resolve, a.service, a.rule, 'resolved', a.severity, a.summary, a.condition);
  }
  for (const e of timeline.episodes) {
    const summary = `${e.service} p99 latency above 200 ms for 3 minutes`;
    const length = e.endUs - e.startUs;
    const fire = e.startUs + Math.min(3 * MINUTE_US, length / 2);
    const resolve = Math.min(lastUs, e.endUs + 2 * MINUTE_US);
    alert(fire, e.service, e.alert, 'firing', 'warning', summary, EPISODE_CONDITION);
    alert(resolve, e.service, e.alert, 'resolved', 'warning', summary, EPISODE_CONDITION);
  }
  // A stable sort, so events at the same microsecond keep the order above.
  return events.sort((x, y) => x.timestampUs - y.timestampUs);
}
