/**
 * Appends rows to a DuckDB table a vector at a time.
 *
 * `DuckDBAppender.appendX` crosses from JavaScript into native code once per value and once more
 * per row; at ten million spans those crossings dominate the run. Filling a `DuckDBDataChunk`
 * instead writes numbers and timestamps into typed arrays in JavaScript and hands DuckDB 2,048 rows
 * per `appendDataChunk` call; only strings still cross one at a time.
 */
import {
  DuckDBAppender,
  DuckDBDataChunk,
  DuckDBType,
  DuckDBValue,
  DuckDBVector
} from '@duckdb/node-api';

/** Rows per chunk: DuckDB's vector size, the most a data chunk can hold. */
const CHUNK_ROWS = DuckDBVector.standardSize();

/**
 * Buffers rows for one appender. Call `set` for every column of a row, then `endRow`; `close`
 * flushes the last partial chunk and closes the appender.
 */
export class ChunkAppender {
  private chunk!: DuckDBDataChunk;
  private vectors!: DuckDBVector[];
  private row = 0;
  /** Rows appended so far, including buffered ones. */
  rows = 0;

  /** Wraps `appender`, whose table has columns of `types` in this order. */
  constructor(
    private readonly appender: DuckDBAppender,
    private readonly types: readonly DuckDBType[]
  ) {
    this.startChunk();
  }

  /** Sets column `column` of the current row. */
  set(column: number, value: DuckDBValue): void {
    this.vectors[column].setItem(this.row, value);
  }

  /** Finishes the current row, handing the chunk to DuckDB when it is full. */
  endRow(): void {
    this.rows++;
    if (++this.row === CHUNK_ROWS) {
      this.flush();
    }
  }

  /** Appends buffered rows and closes the appender (which flushes it into the table). */
  close(): void {
    if (this.row > 0) {
      this.flush();
    }
    this.appender.closeSync();
  }

  private startChunk(): void {
    // A fresh chunk per batch: vectors cache their items in JavaScript, so reusing one would
    // carry the previous batch's strings along.
    this.chunk = DuckDBDataChunk.create(this.types, CHUNK_ROWS);
    this.vectors = this.types.map((_, i) => this.chunk.getColumnVector(i));
    this.row = 0;
  }

  private flush(): void {
    for (const vector of this.vectors) {
      vector.flush();
    }
    this.chunk.rowCount = this.row;
    this.appender.appendDataChunk(this.chunk);
    this.startChunk();
  }
}
