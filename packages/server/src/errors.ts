/**
 * The catalog of every error a user can see, from the CLI or over HTTP. Each entry says what was
 * wrong, where, and what to do; handlers throw `new OpsbookError(Errors.x(...))` and the router
 * turns it into Jupyter's error shape `{message, reason}` with the entry's status.
 */

/** One user-facing error: HTTP status (also used for CLI exit semantics), short reason, message. */
export interface ErrorInfo {
  status: number;
  reason: string;
  message: string;
}

/** An error carrying a catalog entry; anything else reaching the router is a 500. */
export class OpsbookError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'OpsbookError';
    this.status = info.status;
    this.reason = info.reason;
  }
}

/**
 * A refused path (traversal, symlink escape): answered exactly like a missing file so probing
 * learns nothing, and logged as a warning naming the request.
 */
export class PathRefusedError extends OpsbookError {
  /** Why the path was refused (for the log only, never sent to the client). */
  readonly detail: string;

  constructor(shownPath: string, detail: string) {
    super(Errors.contentNotFound(shownPath));
    this.name = 'PathRefusedError';
    this.detail = detail;
  }
}

const e = (status: number, reason: string, message: string): ErrorInfo => ({
  status,
  reason,
  message
});

/** The catalog. Keep messages actionable: what, where, what to do. */
export const Errors = {
  // Configuration and start-up.
  configMissing: (field: string, flag: string) =>
    e(400, 'Bad Configuration', `Missing configuration '${field}': pass ${flag}.`),
  configInvalid: (field: string, value: string, expected: string) =>
    e(400, 'Bad Configuration', `Invalid '${field}' value '${value}': expected ${expected}.`),
  configDirectoryMissing: (field: string, dir: string) =>
    e(
      400,
      'Bad Configuration',
      `'${field}' is not an existing directory: ${dir}. Create it or fix the path.`
    ),
  noAuthOnPublicHost: (host: string) =>
    e(
      400,
      'Bad Configuration',
      `--no-auth is only allowed on a loopback host (127.0.0.1, ::1, localhost), but the host is '${host}'. ` +
        'Anyone on the network could read and write your notebooks: remove --no-auth or bind to 127.0.0.1.'
    ),
  tokenTooShort: (where: string, min: number) =>
    e(
      400,
      'Bad Configuration',
      `The ${where} is too short: use at least ${min} characters (or omit it to get a random one).`
    ),
  usersFileUnreadable: (file: string, detail: string) =>
    e(400, 'Bad Users File', `Cannot read the users file ${file}: ${detail}.`),
  usersFileInvalid: (file: string, detail: string) =>
    e(
      400,
      'Bad Users File',
      `Invalid users file ${file}: ${detail}. Expected {"users": [{"username": "ana", "display_name": "Ana Silva", "color": "#1f77b4", "token": "..."}]}.`
    ),

  // Authentication and request checks.
  forbidden: () =>
    e(
      403,
      'Forbidden',
      'Missing or invalid token: open the URL printed by `opsbook serve` (it ends with ?token=...) or send the header `Authorization: token <token>`.'
    ),
  originRejected: (origin: string) =>
    e(
      403,
      'Forbidden',
      `Cross-origin request from '${origin}' refused: open Opsbook from its own address.`
    ),
  hostRejected: (host: string) =>
    e(
      403,
      'Forbidden',
      `Host header '${host}' refused: this server is bound to a loopback address; open it as http://localhost or http://127.0.0.1.`
    ),

  // Generic HTTP.
  routeNotFound: (method: string, path: string) =>
    e(404, 'Not Found', `No route for ${method} ${path}.`),
  methodNotAllowed: (method: string, path: string, allowed: string[]) =>
    e(
      405,
      'Method Not Allowed',
      `${method} is not supported on ${path}; use ${allowed.join(', ')}.`
    ),
  bodyTooLarge: (limit: number) =>
    e(413, 'Payload Too Large', `Request body over the ${limit} byte limit (maxBodyBytes).`),
  badJson: (where: string, detail: string) =>
    e(400, 'Bad Request', `The ${where} is not valid JSON: ${detail}.`),
  badQueryParam: (param: string, value: string, expected: string) =>
    e(400, 'Bad Request', `Invalid query parameter '${param}=${value}': expected ${expected}.`),
  internal: () =>
    e(500, 'Internal Server Error', 'Internal server error; the server log has the details.'),

  // Contents.
  contentNotFound: (path: string) => e(404, 'Not Found', `No file or directory at '${path}'.`),
  badModel: (path: string, detail: string) =>
    e(400, 'Bad Request', `Invalid contents model for '${path}': ${detail}.`),
  badNotebook: (path: string, detail: string) =>
    e(
      400,
      'Bad Request',
      `Invalid notebook '${path}': ${detail}. Expected nbformat 4 JSON with a 'cells' array.`
    ),
  unreadableNotebook: (path: string, detail: string) =>
    e(
      400,
      'Bad Request',
      `Unreadable notebook '${path}': ${detail}. Open it with the text editor to repair it.`
    ),
  fileTooLarge: (path: string, size: number, limit: number) =>
    e(
      413,
      'Payload Too Large',
      `'${path}' is ${size} bytes, over the ${limit} byte limit for opening files (maxContentsReadBytes); download it from /files/${path} instead.`
    ),
  alreadyExists: (path: string) =>
    e(409, 'Conflict', `'${path}' already exists: choose another name or delete it first.`),
  notADirectory: (path: string) => e(400, 'Bad Request', `'${path}' is not a directory.`),
  cannotCopyDirectory: (path: string) =>
    e(
      400,
      'Bad Request',
      `Cannot copy directory '${path}': only files and notebooks can be copied.`
    ),
  checkpointNotFound: (path: string, id: string) =>
    e(404, 'Not Found', `No checkpoint '${id}' for '${path}'.`),
  chunkOutOfOrder: (path: string, chunk: number) =>
    e(
      400,
      'Bad Request',
      `Upload chunk ${chunk} for '${path}' arrived without the earlier chunks; restart the upload.`
    ),

  // JupyterLab services.
  settingsNotFound: (id: string) =>
    e(
      404,
      'Not Found',
      `No settings schema for plugin '${id}': is its package bundled in the app?`
    ),
  settingsInvalid: (id: string, detail: string) =>
    e(400, 'Bad Request', `Invalid settings for '${id}': ${detail}.`),
  badName: (kind: string, name: string) =>
    e(
      400,
      'Bad Request',
      `Invalid ${kind} name '${name}': use letters, digits, '-', '_' and '.', not starting with '.'.`
    ),
  permissionsInvalid: (value: string) =>
    e(
      400,
      'Bad Request',
      `Invalid permissions query '${value}': expected JSON like {"contents":["read","write"]}.`
    ),
  appNotBuilt: (indexPath: string) =>
    e(
      500,
      'App Not Built',
      `The app page is missing (${indexPath}): build the frontend first, or pass --app-dir.`
    ),

  // Datasets.
  datasetsDisabled: () =>
    e(
      404,
      'Not Found',
      "No datasets: no data directory is configured and the telemetry catalog is empty. Start the server with --data DIR, or ingest telemetry with 'opsbook ingest FILE' (or POST /api/opsbook/ingest)."
    ),
  datasetNotFound: (name: string, available: string[]) =>
    e(404, 'Not Found', `No dataset '${name}'. Available: ${available.join(', ') || '(none)'}.`),
  unknownColumn: (column: string, dataset: string, valid: string[]) =>
    e(
      400,
      'Bad Request',
      `Unknown column '${column}' in dataset '${dataset}'. Valid columns: ${valid.join(', ')}.`
    ),
  noTimeColumn: (dataset: string) =>
    e(
      400,
      'Bad Request',
      `Dataset '${dataset}' has no timestamp column, so 'start' and 'end' cannot be applied.`
    ),
  datasetUnreadable: (file: string, detail: string) =>
    e(
      422,
      'Unprocessable Entity',
      `Cannot read dataset file '${file}': ${detail}. Replace or remove the file.`
    ),
  queryTimeout: (dataset: string, ms: number) =>
    e(
      504,
      'Gateway Timeout',
      `Query on '${dataset}' took longer than ${ms} ms (queryTimeoutMs); narrow the time range or columns.`
    ),
  rangeNotSatisfiable: (range: string, size: number) =>
    e(416, 'Range Not Satisfiable', `Range '${range}' is outside the file (${size} bytes).`),

  // Telemetry catalog, ingest and pull.
  catalogDatasetNotFound: (name: string, store: string, available: string[]) =>
    e(
      404,
      'Not Found',
      `No dataset '${name}' in the catalog at ${store}. Available: ${available.join(', ') || '(none)'}; ingest data with 'opsbook ingest FILE --dataset ${name}' or POST /api/opsbook/ingest.`
    ),
  snapshotNotFound: (dataset: string, table: string, id: string, known: string[]) =>
    e(
      404,
      'Not Found',
      `Dataset '${dataset}' has no ${table} snapshot '${id}'. Its ${table} snapshots: ${known.join(', ') || '(none)'}; 'opsbook catalog show ${dataset}' lists them.`
    ),
  snapshotFileMissing: (dataset: string, id: string, file: string) =>
    e(
      500,
      'Snapshot Missing',
      `Snapshot ${id} of dataset '${dataset}' is missing or damaged (${file}). Restore the file from a backup or re-ingest its source.`
    ),
  ingestForbidden: (username: string) =>
    e(
      403,
      'Forbidden',
      `User '${username}' is a viewer and cannot ingest telemetry; ask an owner to make you an editor in the users file.`
    ),
  ingestParamMissing: (param: string, example: string) =>
    e(400, 'Bad Request', `Missing query parameter '${param}': e.g. ${example}.`),
  ingestBadKind: (kind: string, known: readonly string[]) =>
    e(
      400,
      'Bad Request',
      `Unknown input kind '${kind}': use one of ${known.join(', ')} (parameter 'as', CLI --as).`
    ),
  ingestBadTable: (table: string, known: readonly string[]) =>
    e(400, 'Bad Request', `Unknown table '${table}': use one of ${known.join(', ')}.`),
  ingestBadDataset: (name: string) =>
    e(
      400,
      'Bad Request',
      `Dataset name '${name}' is not valid: use lower-case letters, digits and '_', not starting with a digit (it becomes a SQL table name).`
    ),
  ingestTooLarge: (limit: number) =>
    e(
      413,
      'Payload Too Large',
      `The upload is over the ${limit} byte limit (maxIngestBytes); nothing was stored. Split the file, or ingest it on the server with 'opsbook ingest FILE'.`
    ),
  pullBadRequest: (detail: string) =>
    e(
      400,
      'Bad Request',
      `Invalid pull request: ${detail}. Expected {"source": "prometheus"|"alertmanager", "name": "<configured source>", "dataset": "name", "query"?, "start"?, "end"?, "step"?}.`
    ),
  pullUnknownSource: (kind: string, name: string, configured: string[]) =>
    e(
      400,
      'Bad Request',
      `No ${kind} source named '${name}' is configured. Configured: ${configured.join(', ') || '(none)'}; the operator adds sources with 'opsbook serve --${kind} NAME=URL' (the server only reads URLs it was given).`
    ),

  // Collaboration.
  collabBadSession: (detail: string) =>
    e(
      400,
      'Bad Request',
      `Invalid collaboration session request: ${detail}. Expected {"format": "json", "type": "notebook"} or {"format": "text", "type": "file"}.`
    ),
  collabRoomNotFound: (room: string) =>
    e(
      404,
      'Not Found',
      `No open collaboration room '${room}': open the document first (rooms exist while someone has it open).`
    ),
  collabForkNotFound: (fork: string) =>
    e(404, 'Not Found', `No fork '${fork}': it was deleted or the server restarted.`),
  collabBadHistoryRequest: (detail: string) =>
    e(
      400,
      'Bad Request',
      `Invalid timeline or fork request: ${detail}. Use action=undo|redo|restore with a whole number of steps and the forkRoom returned by the timeline.`
    ),
  collabTooManyForks: (room: string, max: number) =>
    e(
      429,
      'Too Many Requests',
      `The document in room '${room}' already has ${max} forks or timeline views open (collabMaxForksPerRoom); delete a fork or close a timeline and retry.`
    ),
  collabNoConflict: (fileId: string) =>
    e(
      404,
      'Not Found',
      `The document with file id '${fileId}' has no conflict with the file on disk (or is not open).`
    ),
  collabBadConflictAction: (action: string) =>
    e(
      400,
      'Bad Request',
      `Unknown conflict action '${action}': use action=keep_room (save this notebook over the file) or action=take_disk (load the file into the notebook).`
    ),
  collabConflictSaveFailed: (apiPath: string) =>
    e(
      500,
      'Internal Server Error',
      `Could not save ${apiPath} over the version on disk; the notebook keeps your edits and the conflict stays open. See the server log for the cause, then retry.`
    ),
  collabReadOnly: (username: string) =>
    e(
      403,
      'Forbidden',
      `User '${username}' is a viewer and cannot change documents; ask an owner to change the role in the users file.`
    ),

  // Provenance: run records, replays, the audit trail.
  runBadRecord: (field: string, detail: string) =>
    e(
      400,
      'Bad Request',
      `Invalid run record: '${field}' ${detail}. Send the record buildRunRecord made (format "opsbook.run.v1"), optionally with "durationMs"; the server adds "stamp".`
    ),
  runUnknownSnapshot: (field: string, id: string, store: string) =>
    e(
      422,
      'Unprocessable Entity',
      `Run record '${field}' names snapshot '${id}', which is not in the catalog at ${store}. Record runs only over snapshots the server serves; 'opsbook catalog show DATASET' lists them.`
    ),
  runDuplicate: (runId: string) =>
    e(
      409,
      'Conflict',
      `Run '${runId}' is already recorded; run records are append-only. Give a new run a new runId.`
    ),
  runNotFound: (runId: string) =>
    e(
      404,
      'Not Found',
      `No run '${runId}' in the run log; GET /api/opsbook/runs?notebook=PATH lists the recorded runs.`
    ),
  runsNoneForNotebook: (notebook: string) =>
    e(
      404,
      'Not Found',
      `No recorded runs for notebook '${notebook}': nothing to export. Check the path (as the contents API writes it, e.g. 'dir/incident.ipynb').`
    ),
  replayBadRequest: (field: string, detail: string) =>
    e(
      400,
      'Bad Request',
      `Invalid replay: '${field}' ${detail}. Expected {"hash": "<64 hex result hash>", "rows": N, "durationMs": N, "diverged"?: {...}, "rationale"?: "..."}.`
    ),
  provenanceForbidden: (username: string, what: string) =>
    e(
      403,
      'Forbidden',
      `User '${username}' is a viewer and cannot ${what}; ask an owner to make you an editor in the users file.`
    ),
  historyBadRequest: (field: string, detail: string, expected: string) =>
    e(
      400,
      'Bad Request',
      `Invalid cell history request: '${field}' ${detail}. Expected ${expected}.`
    ),
  historyNotebookNotFound: (notebook: string) =>
    e(
      404,
      'Not Found',
      `No notebook '${notebook}' and no recorded history for it. Give the path as the contents API writes it (e.g. 'dir/incident.ipynb').`
    ),
  historyCellNotFound: (notebook: string, cellId: string) =>
    e(
      404,
      'Not Found',
      `No cell '${cellId}' in notebook '${notebook}' and no recorded history for it. Cell ids are the nbformat ids (cell.id).`
    ),
  historyVersionNotFound: (notebook: string, cellId: string, seq: number) =>
    e(
      404,
      'Not Found',
      `No version ${seq} of cell '${cellId}' in notebook '${notebook}'; GET /api/opsbook/history?notebook=...&cell=... lists its versions.`
    ),
  historyCellGone: (notebook: string, cellId: string) =>
    e(
      409,
      'Conflict',
      `Cell '${cellId}' is no longer in notebook '${notebook}', so there is nothing to restore into; its history is kept. Copy the version's source into a new cell instead.`
    ),
  // Investigation bundles (provenance/bundle-*.ts).
  bundleNotebookUnreadable: (notebook: string, detail: string) =>
    e(
      404,
      'Not Found',
      `Cannot bundle notebook '${notebook}': ${detail}. Give its path as the contents API writes it (e.g. 'incidents/checkout.ipynb').`
    ),
  bundleSnapshotMissing: (notebook: string, runId: string, snapshotId: string, store: string) =>
    e(
      409,
      'Conflict',
      `Cannot bundle '${notebook}': run ${runId} read snapshot ${snapshotId}, which the catalog ${store} no longer holds (or whose file is missing or changed); a bundle must carry every snapshot its runs read.`
    ),
  bundleManifestInput: (runId: string, manifestId: string) =>
    e(
      422,
      'Unprocessable Entity',
      `Run ${runId} names manifest ${manifestId} as its input; bundles (opsbook.bundle.v1) carry snapshots, so runs must record the snapshot ids they read.`
    ),
  bundleSourceChainBad: (chain: string, seq: number, problem: string, message: string) =>
    e(
      409,
      'Conflict',
      `Refusing to export a bundle: the ${chain} fails verification at seq ${seq} (${problem}: ${message}). Run 'opsbook audit verify' / 'opsbook runs verify' and investigate before exporting.`
    ),
  bundleRejected: (firstBad: string) =>
    e(
      422,
      'Bundle Rejected',
      `The bundle failed verification and nothing was imported: ${firstBad}`
    ),
  bundleTooLarge: (limit: number) =>
    e(
      413,
      'Payload Too Large',
      `The bundle is over the ${limit} byte limit (maxBundleBytes); nothing was imported. Import it on the server with 'opsbook bundle import FILE'.`
    ),
  bundleBadTrust: (value: string, detail: string) =>
    e(
      400,
      'Bad Request',
      `Cannot use '${value.slice(0, 80)}' as the trusted key: ${detail}. Give a key id (64 hex digits), a base64 public key, or a file holding either (or the JSON of GET /api/opsbook/provenance/key).`
    ),
  provenanceStoreMissing: (dir: string) =>
    e(
      1,
      'No Provenance Store',
      `No provenance store at ${dir} (no provenance.sqlite or instance-key.pem): pass --store DIR, or run the command in the notebook directory 'opsbook serve' uses.`
    ),

  // CLI.
  cliUsage: (detail: string) => e(2, 'Usage', `${detail}\nRun 'opsbook --help' for usage.`),
  cliFileUnreadable: (file: string, detail: string) =>
    e(1, 'Unreadable File', `Cannot read ${file}: ${detail}.`),
  generatorUnavailable: (detail: string) =>
    e(
      1,
      'Generator Unavailable',
      `The telemetry generator (@opsbook/generator) cannot be loaded: ${detail}. Build it with 'npx tsc -b packages/generator'.`
    )
} satisfies Record<string, (...args: never[]) => ErrorInfo>;
