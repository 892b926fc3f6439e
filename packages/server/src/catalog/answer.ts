/**
 * The `application/x-ndjson` answer of an ingest or pull, one JSON object per line:
 *
 *   {"type":"progress","bytesRead":N,"rowsRead":N}            at most every progressIntervalMs
 *   {"type":"report","report":{...},"snapshots":[...]}         last line on success
 *   {"type":"error","error":{"code","message","position"}}     last line on failure
 *
 * The status line is written lazily, with the first progress line: an ingest that fails before
 * that (bad kind, upload too large, the first record rejected) gets the fitting HTTP status
 * (400, 413, 422, ...) with the error line as its body; once streaming, only the last line can
 * say how it ended (200 with an error line).
 */
import type { ServerResponse } from 'node:http';

import { BASE_HEADERS } from '../http/router';
import type { IngestFailure, IngestOutcome, IngestProgressView } from './protocol';

/** Writes one ingest answer. */
export class NdjsonAnswer {
  private lastProgress = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly intervalMs: number
  ) {}

  /** A progress line, unless one was sent less than `intervalMs` ago. */
  progress(p: IngestProgressView): void {
    const now = Date.now();
    if (this.res.destroyed || now - this.lastProgress < this.intervalMs) {
      return;
    }
    this.lastProgress = now;
    this.head(200);
    this.res.write(line({ type: 'progress', bytesRead: p.bytesRead, rowsRead: p.rowsRead }));
  }

  /** The final report line. */
  report(outcome: IngestOutcome): void {
    this.end(200, { type: 'report', report: outcome.report, snapshots: outcome.snapshots });
  }

  /** The final error line. */
  error(failure: IngestFailure): void {
    const { code, message, position } = failure;
    this.end(failure.status, { type: 'error', error: { code, message, position } });
  }

  private end(status: number, body: unknown): void {
    if (this.res.destroyed) {
      return;
    }
    this.head(status);
    this.res.end(line(body));
  }

  private head(status: number): void {
    if (!this.res.headersSent) {
      this.res.writeHead(status, {
        ...BASE_HEADERS,
        'Content-Type': 'application/x-ndjson; charset=utf-8',
        'Cache-Control': 'no-store'
      });
    }
  }
}

function line(value: unknown): string {
  return JSON.stringify(value) + '\n';
}
