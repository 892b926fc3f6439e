import { compileTopology } from '../src/model';
import { Random } from '../src/random';
import { PAYMENT_REGRESSION } from '../src/scenario';
import { SpanRecord, TraceBuilder } from '../src/spans';
import { Timeline } from '../src/timeline';
import { TOPOLOGY } from '../src/topology';

const model = compileTopology(TOPOLOGY);
const timeline = new Timeline(Date.parse('2026-11-10T00:00:00Z'), 24, model);
const BEFORE = Date.parse('2026-11-10T13:30:00Z') * 1000;
const DURING = Date.parse('2026-11-10T15:00:00Z') * 1000;

/** Builds `n` traces at `timeUs` and returns copies of their spans, trace by trace. */
function traces(n: number, timeUs: number, seed = 1): SpanRecord[][] {
  const builder = new TraceBuilder(model, PAYMENT_REGRESSION, new Random(seed));
  const out: SpanRecord[][] = [];
  for (let i = 0; i < n; i++) {
    const count = builder.build(builder.pickEntrypoint(), timeUs, timeline.conditionsAt(timeUs));
    out.push(builder.spans.slice(0, count).map(s => ({ ...s })));
  }
  return out;
}

describe('TraceBuilder', () => {
  // Tests collect offending spans and assert the list is empty: an expect() per span is slow.
  it('stores every trace in pre-order, so any prefix of it is a complete tree', () => {
    const bad: SpanRecord[] = [];
    for (const trace of traces(300, BEFORE)) {
      expect(trace[0]).toMatchObject({ parentSpanId: null, parentIndex: -1, spanKind: 'SERVER' });
      trace.forEach((span, i) => {
        const ok =
          span.index === i &&
          span.traceId === trace[0].traceId &&
          (i === 0 ||
            (span.parentIndex >= 0 &&
              span.parentIndex < i &&
              span.parentSpanId === trace[span.parentIndex].spanId));
        if (!ok) {
          bad.push(span);
        }
      });
    }
    expect(bad).toEqual([]);
  });

  it('starts children within their parent and ends parents after children, timeouts aside', () => {
    const bad: SpanRecord[] = [];
    for (const trace of traces(300, BEFORE)) {
      for (const span of trace.slice(1)) {
        const parent = trace[span.parentIndex];
        const ok =
          span.startUs >= parent.startUs &&
          span.endUs >= span.startUs &&
          (parent.timedOut || span.endUs <= parent.endUs);
        if (!ok) {
          bad.push(span);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('wires CLIENT spans to a SERVER span of the called service', () => {
    const bad: SpanRecord[] = [];
    for (const trace of traces(200, BEFORE)) {
      for (const span of trace) {
        if (span.spanKind === 'SERVER' && span.parentIndex >= 0) {
          const client = trace[span.parentIndex];
          const ok =
            client.spanKind === 'CLIENT' &&
            client.peer === span.serviceName &&
            client.spanName === span.spanName;
          if (!ok) {
            bad.push(span);
          }
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('never times out checkout calls to payment before the bad deploy', () => {
    const spans = traces(2000, BEFORE).flat();
    expect(spans.filter(s => s.timedOut)).toHaveLength(0);
    expect(spans.filter(s => s.serviceVersion === '2.4.0')).toHaveLength(0);
  });

  it('times out a share of checkout calls to payment at 2000 ms during the incident', () => {
    const all = traces(3000, DURING);
    const calls = all.flat().filter(s => s.serviceName === 'checkout' && s.peer === 'payment');
    const timedOut = calls.filter(s => s.timedOut);
    expect(timedOut.length / calls.length).toBeGreaterThan(0.1);
    for (const call of timedOut) {
      expect(call.endUs - call.startUs).toBe(2_000_000);
      expect(call.status).toBe('ERROR');
      expect(call.httpStatusCode).toBeNull();
    }
    // The timeout becomes a 504 all the way up to the user.
    const failedTrace = all.find(t => t.some(s => s.timedOut && s.peer === 'payment'))!;
    const root = failedTrace[0];
    expect(root.httpStatusCode).toBe(504);
    expect(root.status).toBe('ERROR');
  });

  it('leaves recommendation failures out of the page result (a non-critical call)', () => {
    for (const trace of traces(2000, BEFORE)) {
      const recommendation = trace.find(s => s.spanName === 'GET /api/recommendations');
      if (recommendation !== undefined && recommendation.status === 'ERROR') {
        expect(trace[0].status).not.toBe('ERROR');
      }
    }
  });
});
