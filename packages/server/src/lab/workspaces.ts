/**
 * `/lab/api/workspaces`: the layout JupyterLab saves on every change, one JSON file per workspace
 * at `<stateDir>/workspaces/<id>.jupyterlab-workspace` (jupyterlab_server's name, so files can be
 * moved between the two). A missing workspace reads as an empty one, as upstream.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { atomicWrite, FsLayer } from '../contents/atomic';
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, Router, sendEmpty, sendJson } from '../http/router';

/** Options of the workspace routes. */
export interface WorkspacesOptions {
  stateDir: string;
  maxBodyBytes: number;
  fs: FsLayer;
}

const ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const SUFFIX = '.jupyterlab-workspace';

/** Decodes and validates a workspace id from the URL. */
export function workspaceId(raw: string): string {
  let id = raw;
  try {
    id = decodeURIComponent(raw);
  } catch {
    // Fall through to the validation error with the raw text.
  }
  if (!ID.test(id)) {
    throw new OpsbookError(Errors.badName('workspace', id));
  }
  return id;
}

/** Registers the workspace routes. */
export function addWorkspaceRoutes(router: Router, options: WorkspacesOptions): void {
  const dir = path.join(options.stateDir, 'workspaces');
  const fileFor = (id: string): string => path.join(dir, id + SUFFIX);
  const read = async (id: string): Promise<Record<string, unknown>> => {
    try {
      return JSON.parse(await fs.readFile(fileFor(id), 'utf8')) as Record<string, unknown>;
    } catch {
      return { data: {}, metadata: { id } };
    }
  };

  router
    .add('GET', /^\/lab\/api\/workspaces\/?$/, async ctx => {
      const files = (await fs.readdir(dir).catch(() => [] as string[])).filter(f =>
        f.endsWith(SUFFIX)
      );
      const ids = files.map(f => f.slice(0, -SUFFIX.length)).filter(id => ID.test(id));
      sendJson(ctx.res, 200, { workspaces: { ids, values: await Promise.all(ids.map(read)) } });
    })
    .add('GET', /^\/lab\/api\/workspaces\/(?<id>[^/]+)$/, async ctx => {
      sendJson(ctx.res, 200, await read(workspaceId(ctx.params.id)));
    })
    .add('PUT', /^\/lab\/api\/workspaces\/(?<id>[^/]+)$/, async ctx => {
      const id = workspaceId(ctx.params.id);
      const body = await readJson(ctx.req, options.maxBodyBytes);
      if (!isObject(body) || !isObject(body.data)) {
        throw new OpsbookError(
          Errors.badJson('workspace', 'expected {"data": {...}, "metadata": {...}}')
        );
      }
      const now = new Date().toISOString();
      const previous = await read(id);
      const created =
        isObject(previous.metadata) && typeof previous.metadata.created === 'string'
          ? previous.metadata.created
          : now;
      const metadata = {
        ...(isObject(body.metadata) ? body.metadata : {}),
        id,
        created,
        last_modified: now
      };
      await fs.mkdir(dir, { recursive: true });
      await atomicWrite(
        options.fs,
        fileFor(id),
        Buffer.from(JSON.stringify({ data: body.data, metadata }), 'utf8')
      );
      sendEmpty(ctx.res, 204);
    })
    .add('DELETE', /^\/lab\/api\/workspaces\/(?<id>[^/]+)$/, async ctx => {
      const id = workspaceId(ctx.params.id);
      await fs.unlink(fileFor(id)).catch(() => undefined);
      sendEmpty(ctx.res, 204);
    });
}
