/**
 * Parquet adapter with a column mapping (see `mapping.ts`), on hyparquet (pure JavaScript, Node and
 * browser) with hyparquet-compressors for zstd, snappy, gzip, brotli and lz4.
 *
 * Parquet keeps its schema and row-group index in a footer at the end of the file, so it needs
 * random access. Give it `file` (a `ParquetFile`: `parquetFileFromBlob` for a browser `File` or
 * Node's `fs.openAsBlob`) and only the footer and one row group at a time are read: memory is
 * bounded by the largest row group, not the file. Without `file`, the ingest's byte stream is
 * buffered whole first, up to `limits.maxBufferedFileBytes`.
 *
 * Values: strings, numbers, booleans and 64-bit integers (bigint) as stored; TIMESTAMP and DATE
 * columns become Unix nanoseconds (bigint, no precision lost); lists and maps as arrays/objects.
 * An unreadable footer is an `IngestError` (`parquet-invalid`); a row group that cannot be decoded
 * is quarantined/rejected as one record standing for all its rows, with its byte offset.
 */
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { concatBytes } from './bytes';
import { loadHyparquet, PARSERS } from './hyparquet';
import { IngestError } from './errors';
import { Adapter, IngestContext } from './ingest';
import { checkMapping, mapRecord, resolveMapping, TableMapping } from './mapping';

/** Random access to a Parquet file's bytes. */
export interface ParquetFile {
  /** Size of the file in bytes. */
  byteLength: number;
  /** Bytes `[start, end)` of the file. */
  slice(start: number, end: number): Promise<ArrayBuffer> | ArrayBuffer;
}

/** Options of the Parquet adapter. */
export interface ParquetOptions {
  /** The column mapping (empty `columns`: same-named canonical columns, see `resolveMapping`). */
  mapping: TableMapping;
  /** Random-access file; when given, the ingest's input bytes are not read. */
  file?: ParquetFile;
}

/** A `ParquetFile` over a `Blob` (a browser `File`, or Node's `fs.openAsBlob(path)`). */
export function parquetFileFromBlob(blob: Blob): ParquetFile {
  return {
    byteLength: blob.size,
    slice: (start, end) => blob.slice(start, end).arrayBuffer()
  };
}

/** A `ParquetFile` over bytes in memory. */
export function parquetFileFromBytes(bytes: Uint8Array): ParquetFile {
  return {
    byteLength: bytes.length,
    slice: (start, end) => {
      const copy = new Uint8Array(end - start);
      copy.set(bytes.subarray(start, end));
      return copy.buffer;
    }
  };
}

async function bufferWhole(chunks: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > limit) {
      throw new IngestError('parquet-invalid', {
        reason:
          `a streamed Parquet input is buffered whole and this one is larger than ` +
          `maxBufferedFileBytes (${limit} bytes); pass the file as a random-access ParquetFile`
      });
    }
    parts.push(chunk);
  }
  return concatBytes(parts, size);
}

/**
 * Counts the bytes fetched from a random-access file into the report. The source's own promise is
 * passed on (not wrapped in an async function): hyparquet tells promises from buffers with
 * `instanceof Promise`, which is false for a promise of another realm (a worker, a test sandbox).
 */
function counted(file: ParquetFile, ctx: IngestContext): AsyncBuffer {
  const count = (buffer: ArrayBuffer) => {
    ctx.report.bytesRead += buffer.byteLength;
    ctx.report.bytesDecoded += buffer.byteLength;
    return buffer;
  };
  return {
    byteLength: file.byteLength,
    slice: (start: number, end?: number) => {
      const result = file.slice(start, end ?? file.byteLength);
      return 'then' in result ? result.then(count) : count(result);
    }
  };
}

/** Creates the Parquet adapter. */
export function parquetAdapter(options: ParquetOptions): Adapter {
  return {
    name: 'parquet',
    async *run(chunks, ctx) {
      const [hyparquet, { compressors }] = await loadHyparquet();
      const file: AsyncBuffer = options.file
        ? counted(options.file, ctx)
        : parquetFileFromBytes(await bufferWhole(chunks, ctx.limits.maxBufferedFileBytes));
      let metadata: FileMetaData;
      let columns: string[];
      try {
        metadata = await hyparquet.parquetMetadataAsync(file, { parsers: PARSERS });
        columns = hyparquet.parquetSchema(metadata).children.map(c => c.element.name);
      } catch (error) {
        throw new IngestError('parquet-invalid', { reason: (error as Error).message });
      }
      const mapping = resolveMapping(options.mapping, columns);
      checkMapping(mapping, columns);
      ctx.note(
        `Parquet: ${metadata.num_rows} rows in ${metadata.row_groups.length} row group(s), ` +
          `created by ${metadata.created_by ?? 'unknown'}`
      );
      let rowStart = 0;
      for (const [index, group] of metadata.row_groups.entries()) {
        const rowEnd = rowStart + Number(group.num_rows);
        const chunk = group.columns[0]?.meta_data;
        const groupPosition = {
          byteOffset: Number(chunk?.dictionary_page_offset ?? chunk?.data_page_offset ?? 0),
          record: `row group ${index} (rows ${rowStart + 1}-${rowEnd})`
        };
        let rows: Record<string, unknown>[] = [];
        try {
          await hyparquet.parquetRead({
            file,
            metadata,
            rowStart,
            rowEnd,
            compressors,
            parsers: PARSERS,
            rowFormat: 'object',
            onComplete: (result: Record<string, unknown>[]) => {
              rows = result;
            }
          });
        } catch (error) {
          ctx.problem(
            'parquet-invalid',
            { reason: `row group ${index} cannot be decoded: ${(error as Error).message}` },
            groupPosition,
            undefined,
            rowEnd - rowStart
          );
          rowStart = rowEnd;
          continue;
        }
        rows.forEach((record, i) => {
          const position = { record: `row ${rowStart + i + 1}` };
          ctx.guard(position, undefined, () =>
            ctx.emit(mapping.table, mapRecord(ctx, mapping, record), position)
          );
        });
        rowStart = rowEnd;
        yield;
      }
    }
  };
}
