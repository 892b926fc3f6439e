/**
 * MIME types by file extension, for static files, `/files/` and contents models. Only the types
 * the app and typical notebook folders contain; anything else is `application/octet-stream`.
 */
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ipynb': 'application/x-ipynb+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.py': 'text/x-python; charset=utf-8',
  '.sql': 'application/sql',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
  '.parquet': 'application/vnd.apache.parquet',
  '.arrow': 'application/vnd.apache.arrow.file',
  '.feather': 'application/vnd.apache.arrow.file',
  '.arrows': 'application/vnd.apache.arrow.stream'
};

/** Types worth gzipping (text and WASM); images and fonts are already compressed. */
const COMPRESSIBLE =
  /^(text\/|application\/(json|javascript|wasm|x-ipynb\+json|xml|yaml|sql)|image\/svg)/;

/** The MIME type for a file name (with charset for text types), or null when unknown. */
export function mimeTypeOf(fileName: string): string | null {
  return TYPES[path.extname(fileName).toLowerCase()] ?? null;
}

/** Whether a response of this type benefits from gzip. */
export function isCompressible(mimeType: string): boolean {
  return COMPRESSIBLE.test(mimeType);
}
