/**
 * Plain-text log adapter: one record per line that starts with a timestamp; lines that do not
 * (stack traces, wrapped messages) are continuations appended to the previous record's body. The
 * format is detected on the first `sampleLines` lines (see `log-formats.ts`) unless given.
 * A line too long, not UTF-8, or with no timestamp before any record is quarantined/rejected on its
 * own; a multi-line record past `maxRecordBytes` is quarantined/rejected as one record.
 */
import { Row } from '@opsbook/telemetry-schema';
import { IngestError } from './errors';
import { Adapter, IngestContext } from './ingest';
import { Line, splitLines, readableLine } from './lines';
import { detectLogFormat, findLevel, LOG_FORMATS, LogFormat, severityNumber } from './log-formats';

/** Options of the plain-text log adapter. */
export interface TextLogOptions {
  /** Format name from `LOG_FORMATS` (default: detected). */
  format?: string;
  /** `service_name` of every record (syslog formats default to the program name). */
  service?: string;
  /** Year for formats without one (syslog); default: the current UTC year. */
  year?: number;
  /** Lines used for detection; default 100. */
  sampleLines?: number;
}

/** Creates the plain-text log adapter. */
export function textLogAdapter(options: TextLogOptions = {}): Adapter {
  const year = options.year ?? new Date().getUTCFullYear();
  return {
    name: 'text-logs',
    async *run(chunks: AsyncIterable<Uint8Array>, ctx: IngestContext) {
      const lines = splitLines(chunks, ctx.limits.maxLineBytes);
      const sample: Line[] = [];
      let format: LogFormat | null = null;
      if (options.format) {
        format = LOG_FORMATS.find(f => f.name === options.format) ?? null;
        if (!format) {
          throw new IngestError('bad-enum', {
            field: 'format',
            value: options.format,
            expected: LOG_FORMATS.map(f => f.name).join(', ')
          });
        }
      }
      const iterator = lines[Symbol.asyncIterator]();
      if (!format) {
        while (sample.length < (options.sampleLines ?? 100)) {
          const next = await iterator.next();
          if (next.done) {
            break;
          }
          sample.push(next.value);
        }
        const texts = sample.map(l => l.text).filter((t): t is string => !!t && t.trim() !== '');
        format = detectLogFormat(texts, year);
        ctx.note(
          format ? `detected log format: ${format.name}` : 'no known timestamp format detected'
        );
      }
      let pending: { row: Row<'logs'>; line: number; byteOffset: number; size: number } | null =
        null;
      const flush = () => {
        if (pending) {
          const { row, line, byteOffset, size } = pending;
          pending = null;
          if (size > ctx.limits.maxRecordBytes) {
            ctx.problem(
              'record-too-large',
              { limit: ctx.limits.maxRecordBytes },
              { line, byteOffset }
            );
          } else {
            ctx.emit('logs', row, { line, byteOffset }, row.body ?? undefined);
          }
        }
      };
      const handle = (line: Line) => {
        const position = { line: line.line, byteOffset: line.byteOffset };
        if (!readableLine(line, ctx)) {
          return;
        }
        const text = line.text;
        if (text.trim() === '') {
          return; // Blank lines are not records.
        }
        const parsed = format?.parse(text, year) ?? null;
        if (!parsed) {
          if (pending) {
            pending.row.body = `${pending.row.body}\n${text}`;
            pending.size += line.length + 1;
          } else {
            ctx.problem('no-timestamp', { where: 'the line' }, position, text);
          }
          return;
        }
        flush();
        const row = ctx.row('logs');
        row.time = parsed.time;
        row.host_name = parsed.host ?? null;
        row.service_name = options.service ?? parsed.service ?? null;
        if (parsed.pid) {
          row.attributes['process.pid'] = parsed.pid;
        }
        const level = format!.levels ? findLevel(parsed.rest) : null;
        row.severity_text = level?.level ?? null;
        row.severity_number = level ? severityNumber(level.level) : null;
        row.body = level ? level.message : parsed.rest;
        pending = { row, line: line.line, byteOffset: line.byteOffset, size: line.length };
      };
      for (const line of sample) {
        handle(line);
      }
      yield;
      let count = 0;
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          break;
        }
        handle(next.value);
        if (++count % 1024 === 0) {
          yield;
        }
      }
      flush();
    }
  };
}
