/**
 * `/files/<path>`: raw bytes of a file in the notebook root, for downloads, "open in new tab" and
 * images that Markdown cells reference by relative path. Responses are sandboxed with CSP so an
 * HTML or SVG file from the notebook folder cannot run script with the user's session.
 */
import * as fs from 'node:fs/promises';

import { Errors, OpsbookError } from '../errors';
import { Router } from '../http/router';
import type { FileSender } from '../http/static';
import { decodeRawPath } from './paths';
import type { ContentsStore } from './store';

/** Registers `/files/`. */
export function addFilesRoute(router: Router, store: ContentsStore, sender: FileSender): void {
  router.add('GET', /^\/files\/(?<path>.+)$/, async ctx => {
    const segments = decodeRawPath(ctx.params.path);
    const file = await store.resolveExisting(segments);
    if (!(await fs.stat(file)).isFile()) {
      throw new OpsbookError(Errors.contentNotFound(segments.join('/')));
    }
    const name = segments[segments.length - 1];
    const download = ctx.query.get('download') === '1' || ctx.query.get('download') === 'true';
    await sender.send(ctx.req, ctx.res, file, {
      cacheControl: 'no-cache',
      ranges: true,
      headers: {
        'Content-Security-Policy': 'sandbox',
        ...(download
          ? { 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` }
          : {})
      }
    });
  });
}
