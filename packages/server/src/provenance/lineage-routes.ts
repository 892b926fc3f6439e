/**
 * Lineage and audit-view routes (issue #5, parts 4 and 5), read-only, for any authenticated user:
 *
 *   GET /api/opsbook/lineage?notebook=P            -> LineageGraph (`opsbook.lineage.v1`)
 *   GET /api/opsbook/lineage?notebook=P&format=prov-json[&download=1]
 *        -> W3C PROV-JSON (`application/json`; an attachment `<name>.prov.json` with download=1);
 *           recorded as an audit `export`
 *   GET /api/opsbook/audit/verify                   -> {ok, runs: ChainStatus, audit: ChainStatus}
 *   GET /api/opsbook/audit/recent?notebook=&user=&action=&from=&to=&before=SEQ&limit=N
 *        -> {entries (newest first), next: SEQ | null, actions}: the audit view's pages (actions:
 *           every audit action, for its filter)
 *
 * The graph is built by @opsbook/provenance's pure `buildLineageGraph` from the notebook's runs
 * (the newest `MAX_GRAPH_RUNS`), the catalog's snapshots (for labels and upstream lineage) and the
 * notebook as saved (for cell positions and first lines; an unreadable notebook only loses the
 * labels). A notebook without runs, or unknown, is an empty graph, not an error.
 *
 * `/audit/recent` walks the audit chain backwards from `before` (default: the head) in windows,
 * so the newest entries come first without reading the whole log; one request looks at
 * `MAX_SCAN` entries at most and answers `next` to continue from.
 */
import type { AuditEvent, AuditRecord } from '@opsbook/provenance/lib/audit-log';
import { AUDIT_ACTIONS } from '@opsbook/provenance/lib/audit-log';
import type { VerifyReport } from '@opsbook/provenance/lib/chain';
import {
  buildLineageGraph,
  firstLineOf,
  lineageToProv,
  type LineageCellInfo,
  type LineageSnapshotInfo
} from '@opsbook/provenance/lib/lineage';

import type { CatalogReader } from '../catalog/reader';
import type { ContentsStore } from '../contents/store';
import { Errors, OpsbookError } from '../errors';
import { BASE_HEADERS, RequestContext, Router, sendJson } from '../http/router';
import { intParam, param, timeParam } from './query-params';
import { rationaleOf, type ServerProvenance } from './service';

/** Options of the lineage routes. */
export interface LineageRoutesOptions {
  provenance: ServerProvenance;
  reader: () => CatalogReader;
  /** To read the notebook's cells (positions and first lines). */
  contents: ContentsStore;
  /** The server's version, named in PROV-JSON's SoftwareAgent. */
  appVersion: string;
}

/** The state of one hash chain, for the audit view's status line. */
export interface ChainStatus {
  ok: boolean;
  /** Entries that verified (all of them when ok). */
  verified: number;
  head: { seq: number; hash: string } | null;
  /** The first bad entry: its seq, the problem and a sentence for people. */
  firstBad: { seq: number; problem: string; reason: string } | null;
}

/** Runs drawn at most (the newest); older ones are counted in `truncated.runs`. */
export const MAX_GRAPH_RUNS = 2000;
/** Runs read from the log at most to pick the newest from. */
const MAX_READ_RUNS = 50_000;
/** Audit entries looked at per `/audit/recent` request, and per window of that walk. */
const MAX_SCAN = 20_000;
const WINDOW = 500;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

const LINEAGE = /^\/api\/opsbook\/lineage\/?$/;
const VERIFY = /^\/api\/opsbook\/audit\/verify\/?$/;
const RECENT = /^\/api\/opsbook\/audit\/recent\/?$/;

/** Registers the lineage and audit-view routes. */
export function addLineageRoutes(router: Router, options: LineageRoutesOptions): void {
  router
    .add('GET', LINEAGE, ctx => lineage(ctx, options))
    .add('GET', VERIFY, ctx => {
      const store = options.provenance.store();
      const runs = chainStatus(store.runs.verify());
      const audit = chainStatus(store.audit.verify());
      sendJson(ctx.res, 200, { ok: runs.ok && audit.ok, runs, audit });
    })
    .add('GET', RECENT, ctx => recentAudit(ctx, options));
}

async function lineage(ctx: RequestContext, options: LineageRoutesOptions): Promise<void> {
  const notebook = param(ctx, 'notebook');
  if (notebook === undefined) {
    throw new OpsbookError(
      Errors.badQueryParam('notebook', '', 'the notebook path, e.g. ?notebook=incident.ipynb')
    );
  }
  const format = param(ctx, 'format') ?? 'graph';
  if (format !== 'graph' && format !== 'prov-json') {
    throw new OpsbookError(Errors.badQueryParam('format', format, "'graph' or 'prov-json'"));
  }
  const store = options.provenance.store();
  // Its runs under earlier paths too (renames, notebook-paths.ts).
  const logged = options.provenance.paths.runs({ notebook }, MAX_READ_RUNS);
  const runs = logged.slice(-MAX_GRAPH_RUNS);
  const graph = buildLineageGraph({
    notebook,
    runs: runs.map(r => ({ seq: r.seq, record: r.record })),
    snapshots: snapshotInfos(options.reader()),
    cells: await cellsOf(options.contents, notebook),
    runsLeftOut: logged.length - runs.length
  });
  if (format === 'graph') {
    sendJson(ctx.res, 200, graph);
    return;
  }
  const doc = lineageToProv(graph, { keyId: store.key.keyId, version: options.appVersion });
  options.provenance.record({
    action: 'export',
    user: ctx.user.username,
    notebook: { path: notebook, fileId: null },
    rationale: rationaleOf(ctx),
    details: {
      format: 'prov-json',
      runs: runs.length,
      entities: Object.keys(doc.entity).length,
      activities: Object.keys(doc.activity).length,
      download: param(ctx, 'download') === '1'
    }
  });
  const text = JSON.stringify(doc, null, 2);
  const name = `${(notebook.split('/').pop() ?? 'notebook').replace(/\.ipynb$/i, '')}.prov.json`;
  ctx.res.writeHead(200, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...(param(ctx, 'download') === '1'
      ? {
          'Content-Disposition':
            `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; ` +
            `filename*=UTF-8''${encodeURIComponent(name)}`
        }
      : {})
  });
  ctx.res.end(text);
}

/** Every snapshot of the catalog, as the graph needs it (none when nothing was ingested). */
function snapshotInfos(reader: CatalogReader): LineageSnapshotInfo[] {
  const out: LineageSnapshotInfo[] = [];
  for (const dataset of reader.list()) {
    let snapshots;
    try {
      snapshots = reader.show(dataset.name).snapshots;
    } catch {
      continue; // Removed between the listing and now: its snapshots show as unknown.
    }
    for (const s of snapshots) {
      out.push({
        id: s.id,
        dataset: s.dataset,
        table: s.table,
        rows: s.rows,
        source: s.source,
        parents: s.parents,
        by: s.by,
        at: s.at
      });
    }
  }
  return out;
}

/** The notebook's cells as saved, or null when it cannot be read (missing, refused, not JSON). */
async function cellsOf(
  contents: ContentsStore,
  notebook: string
): Promise<LineageCellInfo[] | null> {
  try {
    const model = await contents.get(
      notebook.split('/').filter(s => s !== ''),
      { content: true, hash: false, type: 'notebook' }
    );
    const cells = (model.content as { cells?: unknown } | null)?.cells;
    if (!Array.isArray(cells)) {
      return null;
    }
    return cells.flatMap((cell: { id?: unknown; source?: unknown }, index) =>
      typeof cell?.id === 'string' &&
      (typeof cell.source === 'string' || Array.isArray(cell.source))
        ? [{ id: cell.id, index, firstLine: firstLineOf(cell.source as string | string[]) }]
        : []
    );
  } catch {
    return null;
  }
}

function chainStatus(report: VerifyReport): ChainStatus {
  return {
    ok: report.ok,
    verified: report.verified,
    head: report.head,
    firstBad: report.fault
      ? { seq: report.fault.seq, problem: report.fault.problem, reason: report.fault.message }
      : null
  };
}

function recentAudit(ctx: RequestContext, options: LineageRoutesOptions): void {
  const action = param(ctx, 'action');
  if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
    throw new OpsbookError(Errors.badQueryParam('action', action, AUDIT_ACTIONS.join(', ')));
  }
  const notebook = param(ctx, 'notebook');
  const user = param(ctx, 'user');
  const from = timeParam(ctx, 'from');
  const to = timeParam(ctx, 'to');
  const limit = intParam(ctx, 'limit', DEFAULT_PAGE, 1, MAX_PAGE);
  const { chain } = options.provenance.store().audit;
  const headSeq = chain.head()?.seq ?? 0;
  const before = intParam(ctx, 'before', headSeq + 1, 1, Number.MAX_SAFE_INTEGER);
  const entries: AuditRecord[] = [];
  let next = Math.min(before, headSeq + 1) - 1; // The newest seq not looked at yet.
  let scanned = 0;
  while (next >= 1 && entries.length < limit && scanned < MAX_SCAN) {
    const low = Math.max(1, next - WINDOW + 1);
    const window = chain.entries(low, next).reverse();
    for (const entry of window) {
      next = entry.seq - 1;
      scanned++;
      const event = JSON.parse(entry.payload) as AuditEvent;
      if (
        (action === undefined || event.action === action) &&
        (user === undefined || event.user === user) &&
        (notebook === undefined || event.notebook?.path === notebook) &&
        (from === undefined || event.time >= from) &&
        (to === undefined || event.time <= to)
      ) {
        entries.push({ ...event, seq: entry.seq, hash: entry.hash });
        if (entries.length === limit) {
          break;
        }
      }
    }
    if (window.length === 0) {
      next = low - 1; // A gap (a removed entry): verify reports it; keep walking.
    }
  }
  sendJson(ctx.res, 200, {
    entries,
    next: next >= 1 ? next + 1 : null,
    actions: AUDIT_ACTIONS
  });
}
