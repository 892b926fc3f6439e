/**
 * JSON-lines log adapter: one JSON object per line. Which fields hold the time, level, service,
 * message and trace context is given by `mapping` or detected from the field names of the first
 * objects (`time`/`timestamp`/`@timestamp`/`ts`, `level`/`severity`, `service`/`service.name`,
 * `message`/`msg`/`log`). Every other field is kept in `attributes` as JSON text.
 */
import { Attributes } from '@opsbook/telemetry-schema';
import { describeValue, RecordProblem } from './errors';
import { Adapter, IngestContext } from './ingest';
import { splitLines, readableLine } from './lines';
import { severityNumber } from './log-formats';
import { parseTimestamp } from './timestamps';

/** Which JSON field holds each log column. */
export interface JsonLogMapping {
  time?: string;
  level?: string;
  service?: string;
  message?: string;
  traceId?: string;
  spanId?: string;
}

/** Options of the JSON-lines log adapter. */
export interface JsonLinesLogOptions {
  /** Field mapping; missing entries are detected. */
  mapping?: JsonLogMapping;
  /** `service_name` when no service field is mapped or present. */
  service?: string;
}

const CANDIDATES: Record<keyof JsonLogMapping, string[]> = {
  time: ['time', 'timestamp', '@timestamp', 'ts', 'datetime', 'date', 't'],
  level: ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'severity_text', 'levelname'],
  service: ['service', 'service.name', 'service_name', 'app', 'application', 'component'],
  message: ['message', 'msg', 'log', 'body', 'text', '@message', 'event'],
  traceId: ['trace_id', 'traceId', 'trace.id', 'traceid'],
  spanId: ['span_id', 'spanId', 'span.id', 'spanid']
};

/** Detects a mapping from the keys of one object, keeping the given entries. */
export function detectJsonLogMapping(
  record: Record<string, unknown>,
  given: JsonLogMapping = {}
): JsonLogMapping {
  const mapping: JsonLogMapping = { ...given };
  const keys = Object.keys(record);
  for (const column of Object.keys(CANDIDATES) as (keyof JsonLogMapping)[]) {
    if (!mapping[column]) {
      mapping[column] = CANDIDATES[column].find(c =>
        keys.some(k => k.toLowerCase() === c.toLowerCase())
      );
      if (mapping[column]) {
        mapping[column] = keys.find(k => k.toLowerCase() === mapping[column]!.toLowerCase());
      }
    }
  }
  return mapping;
}

/** Creates the JSON-lines log adapter. */
export function jsonLinesLogAdapter(options: JsonLinesLogOptions = {}): Adapter {
  return {
    name: 'jsonl-logs',
    async *run(chunks: AsyncIterable<Uint8Array>, ctx: IngestContext) {
      let mapping: JsonLogMapping | null = null;
      // The fields the mapping uses, and whether it is complete; recomputed only when it changes.
      let used = new Set<string>();
      let complete = false;
      let count = 0;
      for await (const line of splitLines(chunks, ctx.limits.maxLineBytes)) {
        const position = { line: line.line, byteOffset: line.byteOffset };
        if (!readableLine(line, ctx)) {
          continue;
        }
        const text = line.text;
        if (text.trim() === '') {
          continue;
        }
        ctx.guard(position, text, () => {
          let record: unknown;
          try {
            record = JSON.parse(text);
          } catch (error) {
            throw new RecordProblem('not-json-line', { reason: (error as Error).message });
          }
          if (typeof record !== 'object' || record === null || Array.isArray(record)) {
            throw new RecordProblem('not-json-line', { reason: `it is ${describeValue(record)}` });
          }
          const obj = record as Record<string, unknown>;
          if (!mapping || !complete) {
            if (!mapping) {
              mapping = detectJsonLogMapping(obj, options.mapping);
              ctx.note(`JSON log mapping: ${JSON.stringify(mapping)}`);
            } else {
              // Fields absent from the first record (trace ids) may appear later.
              mapping = detectJsonLogMapping(obj, mapping);
            }
            const fields = Object.values(mapping).filter(Boolean) as string[];
            used = new Set(fields);
            complete = fields.length >= 6;
          }
          const m: JsonLogMapping = mapping;
          const row = ctx.row('logs');
          const timeValue = m.time ? obj[m.time] : undefined;
          const time = parseTimestamp(timeValue);
          if (time === null) {
            throw timeValue === undefined
              ? new RecordProblem('no-timestamp', { where: `field "${m.time ?? 'time'}"` })
              : new RecordProblem('bad-timestamp', {
                  field: m.time!,
                  value: describeValue(timeValue)
                });
          }
          row.time = time;
          const str = (key?: string) => {
            const value = key ? obj[key] : undefined;
            return value === undefined || value === null
              ? null
              : typeof value === 'string'
                ? value
                : JSON.stringify(value);
          };
          row.severity_text = str(m.level);
          row.severity_number =
            typeof (m.level && obj[m.level]) === 'number'
              ? (obj[m.level!] as number)
              : row.severity_text
                ? severityNumber(row.severity_text)
                : null;
          row.service_name = str(m.service) ?? options.service ?? null;
          row.body = str(m.message);
          row.trace_id = str(m.traceId)?.toLowerCase() ?? null;
          row.span_id = str(m.spanId)?.toLowerCase() ?? null;
          const attributes: Attributes = {};
          for (const key of Object.keys(obj)) {
            if (!used.has(key)) {
              attributes[key] = JSON.stringify(obj[key]);
            }
          }
          row.attributes = attributes;
          ctx.emit('logs', row, position, text);
        });
        if (++count % 1024 === 0) {
          yield;
        }
      }
    }
  };
}
