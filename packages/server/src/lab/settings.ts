/**
 * `/lab/api/settings`: one entry per bundled plugin schema, found at
 * `<appDir>/schemas/<package>/<plugin>.json` (scoped packages one level deeper), id
 * `<package>:<plugin>`. Plugins without a listed schema fail to activate, so every schema is
 * listed even when the user has no settings for it. User settings are the `raw` JSON5 text,
 * stored verbatim (comments included) at `<stateDir>/settings/<package>/<plugin>.jupyterlab-settings`.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import * as JSON5 from 'json5';

import { atomicWrite, FsLayer } from '../contents/atomic';
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, Router, sendEmpty, sendJson } from '../http/router';
import type { Logger } from '../log';

/** A settings model as the frontend's `SettingManager` reads it. */
export interface SettingsModel {
  id: string;
  raw: string;
  schema: unknown;
  settings: unknown;
  version: string;
  last_modified: string | null;
  created: string | null;
}

/** One schema found in the app's `schemas/` directory. */
export interface PluginSchema {
  id: string;
  packageName: string;
  plugin: string;
  file: string;
  version: string;
}

/** Options of the settings routes. */
export interface SettingsOptions {
  appDir: string;
  stateDir: string;
  appVersion: string;
  maxBodyBytes: number;
  fs: FsLayer;
  log: Logger;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Lists the schemas under `<appDir>/schemas` (no schemas dir means no plugins). */
export async function findSchemas(appDir: string, appVersion: string): Promise<PluginSchema[]> {
  const root = path.join(appDir, 'schemas');
  const packages: string[] = [];
  for (const entry of await readdirOrEmpty(root)) {
    if (entry.startsWith('@') && NAME.test(entry.slice(1))) {
      for (const sub of await readdirOrEmpty(path.join(root, entry))) {
        if (NAME.test(sub)) {
          packages.push(`${entry}/${sub}`);
        }
      }
    } else if (NAME.test(entry)) {
      packages.push(entry);
    }
  }
  const schemas: PluginSchema[] = [];
  for (const packageName of packages.sort()) {
    const dir = path.join(root, ...packageName.split('/'));
    const version = await packageVersionIn(dir, appVersion);
    for (const file of (await readdirOrEmpty(dir)).sort()) {
      const plugin = file.replace(/\.json$/, '');
      if (file.endsWith('.json') && file !== 'package.json' && NAME.test(plugin)) {
        schemas.push({
          id: `${packageName}:${plugin}`,
          packageName,
          plugin,
          file: path.join(dir, file),
          version
        });
      }
    }
  }
  return schemas;
}

/** Registers `/lab/api/settings` and `/lab/api/settings/<id>`. */
export function addSettingsRoutes(router: Router, options: SettingsOptions): void {
  const userFile = (schema: PluginSchema): string =>
    path.join(
      options.stateDir,
      'settings',
      ...schema.packageName.split('/'),
      `${schema.plugin}.jupyterlab-settings`
    );

  const load = async (schema: PluginSchema): Promise<SettingsModel> => {
    const schemaJson = JSON.parse(await fs.readFile(schema.file, 'utf8')) as unknown;
    const file = userFile(schema);
    const stat = await fs.stat(file).catch(() => null);
    const raw = stat ? await fs.readFile(file, 'utf8') : '{}';
    let settings: unknown = {};
    try {
      settings = JSON5.parse(raw);
    } catch (err) {
      options.log.warn(`Ignoring unparsable user settings ${file}: ${(err as Error).message}`);
    }
    return {
      id: schema.id,
      raw,
      schema: schemaJson,
      settings,
      version: schema.version,
      last_modified: stat ? stat.mtime.toISOString() : null,
      created: stat ? (stat.birthtimeMs > 0 ? stat.birthtime : stat.ctime).toISOString() : null
    };
  };

  const find = async (rawId: string): Promise<PluginSchema> => {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      throw new OpsbookError(Errors.settingsNotFound(rawId));
    }
    const schema = (await findSchemas(options.appDir, options.appVersion)).find(s => s.id === id);
    if (!schema) {
      throw new OpsbookError(Errors.settingsNotFound(id));
    }
    return schema;
  };

  router
    .add('GET', /^\/lab\/api\/settings\/?$/, async ctx => {
      const schemas = await findSchemas(options.appDir, options.appVersion);
      if (ctx.query.get('ids_only') === 'true') {
        sendJson(ctx.res, 200, { settings: schemas.map(s => ({ id: s.id })) });
        return;
      }
      sendJson(ctx.res, 200, { settings: await Promise.all(schemas.map(load)) });
    })
    .add('GET', /^\/lab\/api\/settings\/(?<id>.+)$/, async ctx => {
      sendJson(ctx.res, 200, await load(await find(ctx.params.id)));
    })
    .add('PUT', /^\/lab\/api\/settings\/(?<id>.+)$/, async ctx => {
      const schema = await find(ctx.params.id);
      const body = await readJson(ctx.req, options.maxBodyBytes);
      if (!isObject(body) || typeof body.raw !== 'string') {
        throw new OpsbookError(
          Errors.settingsInvalid(schema.id, 'the body must be {"raw": "<JSON5 text>"}')
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON5.parse(body.raw);
      } catch (err) {
        throw new OpsbookError(
          Errors.settingsInvalid(schema.id, `'raw' is not JSON5: ${(err as Error).message}`)
        );
      }
      if (!isObject(parsed)) {
        throw new OpsbookError(Errors.settingsInvalid(schema.id, "'raw' must hold a JSON5 object"));
      }
      const file = userFile(schema);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await atomicWrite(options.fs, file, Buffer.from(body.raw, 'utf8'));
      sendEmpty(ctx.res, 204);
    });
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

/** A package's version from the `package.json.orig` JupyterLab's build copies next to schemas. */
async function packageVersionIn(dir: string, fallback: string): Promise<string> {
  try {
    const pkg = JSON.parse(await fs.readFile(path.join(dir, 'package.json.orig'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : fallback;
  } catch {
    return fallback;
  }
}
