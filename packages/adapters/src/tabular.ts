/**
 * CSV and Arrow IPC adapters with a column mapping (see `mapping.ts`). CSV is RFC 4180 with a
 * header row, read line by line (quoted fields may span lines; a record is bounded by
 * `maxRecordBytes`). Arrow IPC (stream or file format) is read batch by batch.
 */
import { RecordBatchReader } from 'apache-arrow';
import { CsvSplitter } from './csv-parse';
import { IngestError } from './errors';
import { Adapter } from './ingest';
import { splitLines, readableLine } from './lines';
import { checkMapping, mapRecord, resolveMapping, TableMapping } from './mapping';

/** Options of the CSV adapter. */
export interface CsvOptions {
  /** The column mapping (empty `columns`: same-named canonical columns, see `resolveMapping`). */
  mapping: TableMapping;
  /** Field delimiter; default ",". */
  delimiter?: string;
}

/** Creates the CSV adapter. */
export function csvAdapter(options: CsvOptions): Adapter {
  return {
    name: 'csv',
    async *run(chunks, ctx) {
      const splitter = new CsvSplitter(options.delimiter ?? ',');
      let header: string[] | null = null;
      let mapping = options.mapping;
      let count = 0;
      const handle = (fields: string[], line: number, error?: string) => {
        const position = { line, record: `row ${count + 1}` };
        if (!header) {
          header = fields.map(f => f.trim());
          mapping = resolveMapping(options.mapping, header);
          checkMapping(mapping, header);
          return;
        }
        if (fields.length === 1 && fields[0] === '') {
          return;
        }
        count++;
        const raw = fields.join(options.delimiter ?? ',');
        if (error) {
          ctx.problem('csv-syntax', { reason: error }, position, raw);
          return;
        }
        if (fields.length !== header.length) {
          ctx.problem(
            'csv-width',
            { found: fields.length, expected: header.length },
            position,
            raw
          );
          return;
        }
        const record = Object.fromEntries(header.map((name, i) => [name, fields[i]]));
        ctx.guard(position, raw, () =>
          ctx.emit(mapping.table, mapRecord(ctx, mapping, record), position, raw)
        );
      };
      for await (const line of splitLines(chunks, ctx.limits.maxLineBytes)) {
        const position = { line: line.line, byteOffset: line.byteOffset };
        if (!readableLine(line, ctx)) {
          continue;
        }
        for (const record of splitter.push(`${line.text}\n`)) {
          handle(record.fields, record.line, record.error);
        }
        if (splitter.recordSize > ctx.limits.maxRecordBytes) {
          throw new IngestError('record-too-large', { limit: ctx.limits.maxRecordBytes }, position);
        }
        if (line.line % 1024 === 0) {
          yield;
        }
      }
      for (const record of splitter.end()) {
        handle(record.fields, record.line, record.error);
      }
    }
  };
}

/** Options of the Arrow IPC adapter. */
export interface ArrowIpcOptions {
  /** The column mapping. */
  mapping: TableMapping;
}

/** Creates the Arrow IPC adapter (stream or file format). */
export function arrowIpcAdapter(options: ArrowIpcOptions): Adapter {
  return {
    name: 'arrow-ipc',
    async *run(chunks, ctx) {
      let reader: RecordBatchReader;
      try {
        reader = await RecordBatchReader.from(chunks);
        await reader.open();
      } catch (error) {
        throw new IngestError('arrow-invalid', { reason: (error as Error).message });
      }
      let mapping: TableMapping | null = null;
      let rowIndex = 0;
      for await (const batch of reader) {
        if (!mapping) {
          const names = batch.schema.fields.map(f => f.name);
          mapping = resolveMapping(options.mapping, names);
          checkMapping(mapping, names);
        }
        const batchMapping = mapping;
        for (const record of batch) {
          rowIndex++;
          const position = { record: `row ${rowIndex}` };
          const obj = record ? (record.toJSON() as Record<string, unknown>) : {};
          ctx.guard(position, undefined, () =>
            ctx.emit(batchMapping.table, mapRecord(ctx, batchMapping, obj), position)
          );
        }
        yield;
      }
    }
  };
}
