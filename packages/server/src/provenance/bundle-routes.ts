/**
 * The investigation bundle API (format and checks: bundle-format.ts, bundle-verify.ts):
 *
 *   GET  /api/opsbook/bundles?notebook=P       -> the bundle file, streamed (Content-Length,
 *        Content-Disposition `<name>.opsbundle`, `X-Opsbook-Bundle: <bundleId>`); audit `export`.
 *        Any authenticated user, like `GET /api/opsbook/runs/export`.
 *   POST /api/opsbook/bundles[?trust=KEY][&verifyOnly=1]   body: the bundle file, streamed to
 *        `<stateDir>/bundles/uploads` (at most maxBundleBytes; 413 beyond, nothing kept)
 *        -> 201 {notebook, bundleId, importId, snapshots: {imported, skipped}, runs, report}
 *           (audit `import`); 422 {message, reason, report} when it fails verification (nothing
 *           imported); verifyOnly: 200 {report}. Editor/owner only (403 for viewers).
 *
 * Verifying and importing run in the bundle worker (bundle-worker.ts): re-deriving snapshot ids
 * loads Arrow and decodes every row, which must not block or slow the main thread.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Errors, OpsbookError } from '../errors';
import { RequestContext, Router, sendJson } from '../http/router';
import { canWrite } from '../users';
import { BUNDLE_EXTENSION } from './bundle-format';
import { exportDetails, planBundle, writeBundle } from './bundle-export';
import { importDetails } from './bundle-import';
import { bundlesDir } from './bundle-registry';
import { resolveTrust } from './bundle-verify';
import { runBundleJob } from './bundle-worker';
import { rationaleOf, type ServerProvenance } from './service';

/** Options of the bundle routes. */
export interface BundleRoutesOptions {
  provenance: ServerProvenance;
  catalogDir: string;
  /** The notebook root (real path). */
  notebookDir: string;
  /** The server's state directory (real path). */
  stateDir: string;
  /** Largest bundle upload (config `maxBundleBytes`). */
  maxBundleBytes: number;
}

const BUNDLES = /^\/api\/opsbook\/bundles\/?$/;

/** Registers the bundle routes. */
export function addBundleRoutes(router: Router, options: BundleRoutesOptions): void {
  router
    .add('GET', BUNDLES, ctx => download(ctx, options))
    .add('POST', BUNDLES, ctx => upload(ctx, options));
}

async function download(ctx: RequestContext, options: BundleRoutesOptions): Promise<void> {
  const notebook = ctx.query.get('notebook') ?? '';
  if (notebook === '') {
    throw new OpsbookError(
      Errors.badQueryParam('notebook', '', 'the notebook path, e.g. ?notebook=incident.ipynb')
    );
  }
  const plan = await planBundle(
    {
      store: options.provenance.store(),
      catalogDir: options.catalogDir,
      notebookDir: options.notebookDir
    },
    notebook,
    ctx.user.username
  );
  const name = path.posix.basename(notebook).replace(/\.ipynb$/, '') + BUNDLE_EXTENSION;
  ctx.res.writeHead(200, {
    'Content-Type': 'application/x-tar',
    'Content-Length': plan.bytes,
    'Content-Disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Opsbook-Bundle': plan.bundleId
  });
  await writeBundle(plan, ctx.res);
  ctx.res.end();
  options.provenance.record({
    action: 'export',
    user: ctx.user.username,
    notebook: { path: notebook, fileId: null },
    rationale: rationaleOf(ctx),
    details: exportDetails(plan)
  });
}

/** Streams the request body to `file`, at most `limit` bytes (413 beyond, file removed). */
async function receive(ctx: RequestContext, file: string, limit: number): Promise<number> {
  const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
  let size = 0;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        throw new OpsbookError(Errors.bundleTooLarge(limit));
      }
      if (!out.write(chunk)) {
        await new Promise<void>(resolve => out.once('drain', resolve));
      }
    }
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
    return size;
  } catch (error) {
    out.destroy();
    if (error instanceof OpsbookError) {
      // Stop reading a body that is too large: answer, then hang up.
      ctx.res.setHeader('Connection', 'close');
      ctx.res.once('finish', () => ctx.req.socket.destroy());
    }
    throw error;
  }
}

async function upload(ctx: RequestContext, options: BundleRoutesOptions): Promise<void> {
  if (!canWrite(ctx.user)) {
    ctx.res.setHeader('Connection', 'close');
    throw new OpsbookError(Errors.provenanceForbidden(ctx.user.username, 'import bundles'));
  }
  const trustText = ctx.query.get('trust');
  const trustedKeyId = trustText ? resolveTrust(trustText, false) : undefined;
  const verifyOnly = ctx.query.get('verifyOnly') === '1';
  const declared = Number(ctx.req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBundleBytes) {
    ctx.res.setHeader('Connection', 'close');
    throw new OpsbookError(Errors.bundleTooLarge(options.maxBundleBytes));
  }
  const uploads = path.join(bundlesDir(options.stateDir), 'uploads');
  fs.mkdirSync(uploads, { recursive: true, mode: 0o700 });
  const file = path.join(uploads, `upload-${randomUUID()}${BUNDLE_EXTENSION}`);
  try {
    await receive(ctx, file, options.maxBundleBytes);
    const answer = await runBundleJob({
      op: verifyOnly ? 'verify' : 'import',
      file,
      trustedKeyId,
      target: {
        catalogDir: options.catalogDir,
        notebookDir: options.notebookDir,
        stateDir: options.stateDir,
        user: ctx.user.username
      }
    });
    if (answer.type === 'failed') {
      throw new Error(`Bundle import failed: ${answer.message}`);
    }
    if (answer.type === 'verified') {
      sendJson(ctx.res, 200, { report: answer.report });
      return;
    }
    if (answer.type === 'rejected') {
      const info = Errors.bundleRejected(answer.report.firstBad?.message ?? 'unknown problem');
      ctx.log.info(
        `bundle import by ${ctx.user.username} refused: ${answer.report.firstBad?.message}`
      );
      sendJson(ctx.res, info.status, {
        message: info.message,
        reason: info.reason,
        report: answer.report
      });
      return;
    }
    const { result } = answer;
    options.provenance.record({
      action: 'import',
      user: ctx.user.username,
      notebook: { path: result.notebook, fileId: null },
      rationale: rationaleOf(ctx),
      details: importDetails(result)
    });
    ctx.log.info(
      `bundle ${result.bundleId.slice(0, 12)} imported by ${ctx.user.username} as ${result.notebook}: ` +
        `${result.runs} run(s), ${result.snapshots.imported.length} snapshot(s) new, ${result.snapshots.skipped.length} present`
    );
    sendJson(ctx.res, 201, {
      notebook: result.notebook,
      bundleId: result.bundleId,
      importId: result.importId,
      snapshots: result.snapshots,
      runs: result.runs,
      report: result.report
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}
