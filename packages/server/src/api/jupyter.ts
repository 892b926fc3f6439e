/**
 * The small Jupyter server endpoints the frontend calls at start-up and polls: identity, status,
 * the (empty) kernel, session and terminal lists - kernels run in the browser - and the
 * `/api/config/<section>` store that some extensions persist options in.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { atomicWrite, FsLayer } from '../contents/atomic';
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, Router, sendJson } from '../http/router';
import { identityOf, permissionsOf } from '../users';

/** Options of the Jupyter endpoints. */
export interface JupyterApiOptions {
  stateDir: string;
  appVersion: string;
  maxBodyBytes: number;
  fs: FsLayer;
  /** Open websocket connections, for `/api/status`. */
  connections: () => number;
}

const SECTION = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/** Registers `/api`, `/api/me`, `/api/status`, the empty lists and `/api/config`. */
export function addJupyterApiRoutes(router: Router, options: JupyterApiOptions): void {
  const started = new Date().toISOString();
  const sectionFile = (raw: string): string => {
    let name = raw;
    try {
      name = decodeURIComponent(raw);
    } catch {
      // Reported below with the raw text.
    }
    if (!SECTION.test(name)) {
      throw new OpsbookError(Errors.badName('config section', name));
    }
    return path.join(options.stateDir, 'config', `${name}.json`);
  };
  const readSection = async (file: string): Promise<Record<string, unknown>> => {
    const data = await fs.readFile(file, 'utf8').then(
      t => JSON.parse(t) as unknown,
      () => ({})
    );
    return isObject(data) ? data : {};
  };

  router
    .add('GET', /^\/api\/?$/, ctx => sendJson(ctx.res, 200, { version: options.appVersion }))
    .add('GET', /^\/api\/me\/?$/, ctx => {
      const asked = ctx.query.get('permissions');
      let permissions: Record<string, string[]> = {};
      if (asked) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(asked);
        } catch {
          throw new OpsbookError(Errors.permissionsInvalid(asked));
        }
        if (!isObject(parsed) || !Object.values(parsed).every(v => Array.isArray(v))) {
          throw new OpsbookError(Errors.permissionsInvalid(asked));
        }
        permissions = permissionsOf(ctx.user, parsed as Record<string, unknown[]>);
      }
      sendJson(ctx.res, 200, { identity: identityOf(ctx.user), permissions });
    })
    .add('GET', /^\/api\/status\/?$/, ctx =>
      sendJson(ctx.res, 200, {
        started,
        last_activity: new Date().toISOString(),
        connections: options.connections(),
        kernels: 0
      })
    )
    .add('GET', /^\/api\/kernelspecs\/?$/, ctx =>
      sendJson(ctx.res, 200, { default: '', kernelspecs: {} })
    )
    .add('GET', /^\/api\/kernels\/?$/, ctx => sendJson(ctx.res, 200, []))
    .add('GET', /^\/api\/sessions\/?$/, ctx => sendJson(ctx.res, 200, []))
    .add('GET', /^\/api\/terminals\/?$/, ctx => sendJson(ctx.res, 200, []))
    .add('GET', /^\/api\/nbconvert\/?$/, ctx => sendJson(ctx.res, 200, {}))
    .add('GET', /^\/api\/config\/(?<section>[^/]+)$/, async ctx => {
      sendJson(ctx.res, 200, await readSection(sectionFile(ctx.params.section)));
    })
    .add('PATCH', /^\/api\/config\/(?<section>[^/]+)$/, async ctx => {
      const file = sectionFile(ctx.params.section);
      const patch = await readJson(ctx.req, options.maxBodyBytes);
      if (!isObject(patch)) {
        throw new OpsbookError(Errors.badJson('config section', 'expected a JSON object'));
      }
      const merged = mergeConfig(await readSection(file), patch);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await atomicWrite(options.fs, file, Buffer.from(JSON.stringify(merged, null, 2) + '\n'));
      sendJson(ctx.res, 200, merged);
    });
}

/** jupyter_server's recursive update: objects merge, `null` deletes, anything else replaces. */
export function mergeConfig(
  target: Record<string, unknown>,
  patch: Record<string, unknown>
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (isObject(value) && isObject(out[key])) {
      out[key] = mergeConfig(out[key] as Record<string, unknown>, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}
