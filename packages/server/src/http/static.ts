/**
 * Sending files: the app's static assets, `/files/`, themes and raw datasets. Supports HEAD,
 * ETag revalidation, single byte ranges (206/416) and gzip. Compressed bytes are cached per file
 * and mtime (the app is a few MB that every page load fetches), bounded by a byte budget.
 */
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

import { Errors } from '../errors';
import { isCompressible, mimeTypeOf } from './mime';
import { BASE_HEADERS, sendError } from './router';

const gzip = promisify(zlib.gzip);

/** Per-response options. */
export interface SendFileOptions {
  cacheControl: string;
  /** Overrides the type guessed from the extension. */
  contentType?: string;
  /** Honour `Range` (datasets, `/files/`): disables gzip for that response. */
  ranges?: boolean;
  headers?: Record<string, string>;
}

/** Files under this size are not worth a gzip round. */
const MIN_GZIP_BYTES = 1024;

/** Sends files, caching gzip output within a byte budget (oldest entries evicted first). */
export class FileSender {
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;

  constructor(private readonly gzipCacheBytes: number) {}

  /** Sends `file` (an already-validated real path of a regular file). */
  async send(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    options: SendFileOptions
  ): Promise<void> {
    const stat = await fs.promises.stat(file);
    const type = options.contentType ?? mimeTypeOf(file) ?? 'application/octet-stream';
    const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const headers: Record<string, string | number> = {
      ...BASE_HEADERS,
      'Content-Type': type,
      'Cache-Control': options.cacheControl,
      'Last-Modified': stat.mtime.toUTCString(),
      ETag: etag,
      ...options.headers
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const head = req.method === 'HEAD';
    if (options.ranges) {
      headers['Accept-Ranges'] = 'bytes';
      const rangeHeader = req.headers.range;
      if (rangeHeader !== undefined && /^\s*bytes=/i.test(rangeHeader)) {
        const range = parseRange(rangeHeader, stat.size);
        if (!range) {
          res.setHeader('Content-Range', `bytes */${stat.size}`);
          sendError(res, Errors.rangeNotSatisfiable(rangeHeader, stat.size));
          return;
        }
        headers['Content-Range'] = `bytes ${range.start}-${range.end}/${stat.size}`;
        headers['Content-Length'] = range.end - range.start + 1;
        res.writeHead(206, headers);
        return head ? void res.end() : pipeFile(res, file, range.start, range.end);
      }
    }
    const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (!options.ranges && isCompressible(type) && stat.size >= MIN_GZIP_BYTES) {
      headers.Vary = 'Accept-Encoding';
      if (acceptsGzip) {
        const body = await this.gzipped(file, stat);
        headers['Content-Encoding'] = 'gzip';
        headers['Content-Length'] = body.length;
        res.writeHead(200, headers);
        res.end(head ? undefined : body);
        return;
      }
    }
    headers['Content-Length'] = stat.size;
    res.writeHead(200, headers);
    return head || stat.size === 0 ? void res.end() : pipeFile(res, file, 0, stat.size - 1);
  }

  private async gzipped(file: string, stat: fs.Stats): Promise<Buffer> {
    const key = `${file}\0${stat.mtimeMs}\0${stat.size}`;
    const hit = this.cache.get(key);
    if (hit) {
      return hit;
    }
    const body = await gzip(await fs.promises.readFile(file));
    if (body.length <= this.gzipCacheBytes) {
      this.cache.set(key, body);
      this.cachedBytes += body.length;
      for (const [oldKey, old] of this.cache) {
        if (this.cachedBytes <= this.gzipCacheBytes) {
          break;
        }
        this.cache.delete(oldKey);
        this.cachedBytes -= old.length;
      }
    }
    return body;
  }
}

/**
 * Parses one `bytes=` range against a file size: `a-b`, `a-` or `-n`. Returns null when it is
 * malformed, asks for several ranges, or lies outside the file (all answered with 416).
 */
export function parseRange(header: string, size: number): { start: number; end: number } | null {
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) {
    return null;
  }
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) {
      return null;
    }
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) {
      return null;
    }
  }
  if (start >= size || end < start) {
    return null;
  }
  return { start, end };
}

function pipeFile(res: ServerResponse, file: string, start: number, end: number): Promise<void> {
  return new Promise(resolve => {
    const stream = fs.createReadStream(file, { start, end });
    stream.on('error', err => {
      res.destroy(err);
      resolve();
    });
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}
