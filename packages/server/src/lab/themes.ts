/**
 * `/lab/api/themes/<package>/<file>`: theme CSS and assets, served from `<appDir>/themes/` (the
 * build puts each theme package's prebuilt files there). Like other static files, themes are
 * public build output and need no token.
 */
import * as path from 'node:path';

import { decodeRawPath, resolveFileUnder } from '../contents/paths';
import { Router } from '../http/router';
import type { FileSender } from '../http/static';

/** Registers the theme route. */
export function addThemeRoutes(router: Router, appDir: string, sender: FileSender): void {
  router.add('GET', /^\/lab\/api\/themes\/(?<path>.+)$/, async ctx => {
    const file = await resolveFileUnder(
      path.join(appDir, 'themes'),
      decodeRawPath(ctx.params.path)
    );
    await sender.send(ctx.req, ctx.res, file, { cacheControl: 'no-cache' });
  });
}
