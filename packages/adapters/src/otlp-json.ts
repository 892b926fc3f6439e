/**
 * OTLP/JSON adapter for traces, logs and metrics (an `ExportTraceServiceRequest`,
 * `ExportLogsServiceRequest` or `ExportMetricsServiceRequest` in the OTLP JSON encoding, or the
 * collector file exporter's one-request-per-line output). The document is stream-parsed at the
 * level of `resourceSpans[]` / `resourceLogs[]` / `resourceMetrics[]` entries: only one entry is in
 * memory at a time, and an entry larger than `limits.maxRecordBytes` is quarantined/rejected with
 * `record-too-large`, so a 1 GB file never needs a 1 GB heap.
 */
import { Adapter, IngestContext } from './ingest';
import { streamJsonElements } from './json-stream';
import { mapOtlpResource, OTLP_SIGNALS, OtlpSignal } from './otlp-map';

/** Options of the OTLP/JSON adapter. */
export interface OtlpJsonOptions {
  /** Signals to read; default all three. */
  signals?: OtlpSignal[];
}

/** Creates the OTLP/JSON adapter. */
export function otlpJsonAdapter(options: OtlpJsonOptions = {}): Adapter {
  const signals = options.signals ?? (Object.keys(OTLP_SIGNALS) as OtlpSignal[]);
  return {
    name: 'otlp-json',
    async *run(chunks: AsyncIterable<Uint8Array>, ctx: IngestContext) {
      const events = streamJsonElements(chunks, {
        targets: signals.map(s => [s]),
        maxElementBytes: ctx.limits.maxRecordBytes
      });
      for await (const event of events) {
        if (event.kind === 'element') {
          const prefix = event.document > 0 ? `document ${event.document + 1}, ` : '';
          mapOtlpResource(
            event.target as OtlpSignal,
            event.value,
            { byteOffset: event.byteOffset, record: `${prefix}${event.target}[${event.index}]` },
            ctx
          );
          yield;
        } else if (event.kind === 'error') {
          const record =
            event.target !== undefined && event.index !== undefined
              ? `${event.target}[${event.index}]`
              : undefined;
          ctx.problem(
            event.code,
            event.details,
            { byteOffset: event.byteOffset, record },
            event.raw
          );
          if (event.fatal) {
            return;
          }
        }
      }
    }
  };
}
