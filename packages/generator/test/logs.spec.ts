import { LogComposer } from '../src/logs';
import { compileTopology } from '../src/model';
import { Random } from '../src/random';
import { PAYMENT_REGRESSION } from '../src/scenario';
import { LogRow } from '../src/schema';
import { TraceBuilder } from '../src/spans';
import { Timeline } from '../src/timeline';
import { TOPOLOGY } from '../src/topology';

const model = compileTopology(TOPOLOGY);
const timeline = new Timeline(Date.parse('2026-11-10T00:00:00Z'), 24, model);
const DURING = Date.parse('2026-11-10T15:00:00Z') * 1000;

describe('LogComposer', () => {
  it('writes logs that belong to the spans of the trace they came from', () => {
    const rng = new Random(11);
    const builder = new TraceBuilder(model, PAYMENT_REGRESSION, rng);
    const composer = new LogComposer(rng, PAYMENT_REGRESSION);
    let spans = 0;
    const logs: LogRow[] = [];
    const misfits: LogRow[] = [];
    for (let i = 0; i < 2000; i++) {
      const count = builder.build(builder.pickEntrypoint(), DURING, timeline.conditionsAt(DURING));
      spans += count;
      const byId = new Map(builder.spans.slice(0, count).map(s => [s.spanId, s]));
      composer.compose(builder.spans, count, row => {
        const span = byId.get(row.spanId ?? '');
        const fits =
          span !== undefined &&
          row.traceId === span.traceId &&
          row.serviceName === span.serviceName &&
          row.timestampUs >= span.startUs &&
          row.timestampUs <= span.endUs;
        if (!fits) {
          misfits.push({ ...row });
        }
        logs.push({ ...row });
      });
    }
    expect(misfits).toEqual([]);
    expect(logs.length / spans).toBeGreaterThan(0.35);
    expect(logs.length / spans).toBeLessThan(0.65);
    const bodies = (service: string, severity: string): string[] =>
      logs.filter(l => l.serviceName === service && l.severity === severity).map(l => l.body);
    expect(bodies('checkout', 'ERROR')).toContainEqual(
      expect.stringMatching(/^timeout calling payment after 2000ms/)
    );
    expect(bodies('payment', 'WARN')).toContainEqual(
      expect.stringMatching(/^fraud model cache miss/)
    );
  });
});
