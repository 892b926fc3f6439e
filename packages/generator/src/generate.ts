/**
 * The generator's pipeline, one phase per module:
 *
 *   options -> scenario (what goes wrong)                   scenarios/
 *           -> Timeline (traffic, versions, perturbations)  timeline.ts
 *           -> calibrate the trace model for metrics        calibrate.ts
 *           -> traces, streamed span by span                spans.ts  \
 *              and the logs they cause                      logs.ts    } -> TelemetryWriter
 *           -> per-minute metrics                           metrics.ts /    (DuckDB appenders,
 *           -> deploy/alert events                          events.ts /      writer.ts)
 *           -> sorted Parquet files + incident.json (default) or ground-truth.json
 *
 * Memory stays flat whatever the span count: a trace lives in a reused buffer only until its
 * spans and logs are appended, and DuckDB keeps the rows in a work database on disk.
 */
import * as fs from 'fs';
import * as path from 'path';
import { calibrate } from './calibrate';
import { buildEvents } from './events';
import { LogComposer } from './logs';
import { OTLP_FILES, OtlpSource } from './otlp-json';
import { generateMetrics } from './metrics';
import { CompiledModel, compileTopology } from './model';
import { Random } from './random';
import { IncidentTruth } from './scenario';
import { DEFAULT_SCENARIO, findScenario } from './scenarios/registry';
import { GroundTruth, Scenario } from './scenarios/types';
import { GROUND_TRUTH_FILE, INCIDENT_FILE } from './schema';
import { TraceBuilder } from './spans';
import { Timeline } from './timeline';
import { TOPOLOGY } from './topology';
import { TelemetryWriter } from './writer';

/** Options of `generateTelemetry`. */
export interface GeneratorOptions {
  /** Directory for the output files; created if missing, existing outputs are replaced. */
  outDir: string;
  /** Exact number of spans to generate (default 200,000). Logs are about half as many. */
  spans?: number;
  /** Seed of every random choice (default 42); the same options give byte-identical files. */
  seed?: number;
  /** Start of the window, ISO 8601 with a zone or a bare date (default '2026-11-10T00:00:00Z'). */
  start?: string;
  /** Length of the window in hours, at least 1 (default 24). */
  hours?: number;
  /**
   * 'parquet' (default): the canonical tables as spans/logs/metrics/events.parquet.
   * 'otlp-json': spans, logs and metric points as OTLP/JSON export requests, one per line
   * (traces/logs/metrics.otlp.jsonl, see otlp-json.ts), events still as events.parquet.
   */
  format?: OutputFormat;
  /**
   * Name of the scenario to inject (see `SCENARIOS`); default 'payment-regression', whose ground
   * truth goes to incident.json. Every other scenario writes ground-truth.json.
   */
  scenario?: string;
  /** Called as spans are generated (`done` of `total` spans) and once more when files are written. */
  onProgress?: (done: number, total: number) => void;
}

/** The output formats of `generateTelemetry`. */
export type OutputFormat = 'parquet' | 'otlp-json';

/** One output file. */
export interface GeneratedFile {
  /** File name, e.g. 'spans.parquet' or 'traces.otlp.jsonl'. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Rows in the file (1 for incident.json and ground-truth.json, which hold one incident). */
  rows: number;
  /** Size on disk. */
  bytes: number;
}

/** What `generateTelemetry` produced. */
export interface GenerationSummary {
  /** spans, logs, metrics and events Parquet files, then incident.json or ground-truth.json. */
  files: GeneratedFile[];
  /** The payment regression as written to incident.json; only for the default scenario. */
  incident?: IncidentTruth;
  /** The ground truth of the scenario, whichever it is (as in ground-truth.json). */
  truth: GroundTruth;
  /** Wall-clock time of the whole run. */
  elapsedMs: number;
}

/** Defaults of the optional options; `spans` suits the bundled example (a few seconds). */
export const GENERATOR_DEFAULTS = {
  spans: 200_000,
  seed: 42,
  start: '2026-11-10T00:00:00Z',
  hours: 24
} as const;

/** Random stream numbers, one per concern, so that e.g. the span count does not change metrics. */
const STREAM = { traces: 1, metrics: 2, calibration: 3 } as const;

/** Spans between progress reports (and yields to the event loop). */
const PROGRESS_EVERY = 50_000;

/**
 * DuckDB memory limit for the work database. Sorting spills to disk beyond it; measured at 10M
 * spans, 512MB is as fast as 1GB and keeps the process's peak RSS near 1.3 GB instead of 2.2 GB.
 */
const DUCKDB_MEMORY_LIMIT = '512MB';

/** An ISO 8601 date, or date and time with `Z` or an offset. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** Resolved, validated options. */
interface Settings {
  outDir: string;
  spans: number;
  seed: number;
  startMs: number;
  hours: number;
  format: OutputFormat;
  scenario: Scenario;
}

/** Checks the options and fills in defaults; errors name the option and say what to pass. */
function resolveOptions(options: GeneratorOptions): Settings {
  const fail = (name: string, expected: string, got: unknown): never => {
    throw new Error(
      `generateTelemetry: option '${name}' must be ${expected}, got ${JSON.stringify(got)}.`
    );
  };
  if (typeof options?.outDir !== 'string' || options.outDir.trim() === '') {
    fail('outDir', "a directory path such as './data'", options?.outDir);
  }
  const spans = options.spans ?? GENERATOR_DEFAULTS.spans;
  if (!Number.isSafeInteger(spans) || spans < 1) {
    fail('spans', 'a positive integer such as 200000', spans);
  }
  const seed = options.seed ?? GENERATOR_DEFAULTS.seed;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    fail('seed', 'an integer from 0 to 4294967295', seed);
  }
  const start = options.start ?? GENERATOR_DEFAULTS.start;
  // A time without a zone would be read in the machine's local zone, and the same options would
  // give different files on different machines; so the zone must be explicit.
  const startMs =
    typeof start === 'string' && ISO_WITH_ZONE.test(start.trim()) ? Date.parse(start) : NaN;
  if (Number.isNaN(startMs)) {
    fail('start', "an ISO 8601 time with a zone such as '2026-11-10T00:00:00Z'", start);
  }
  const hours = options.hours ?? GENERATOR_DEFAULTS.hours;
  if (typeof hours !== 'number' || !Number.isFinite(hours) || hours < 1 || hours > 24 * 31) {
    fail('hours', 'a number of hours from 1 to 744', hours);
  }
  const format = options.format ?? 'parquet';
  if (format !== 'parquet' && format !== 'otlp-json') {
    fail('format', "'parquet' or 'otlp-json'", format);
  }
  const name = options.scenario ?? DEFAULT_SCENARIO;
  if (typeof name !== 'string') {
    fail('scenario', 'a scenario name such as "error-burst"', name);
  }
  let scenario: Scenario;
  try {
    scenario = findScenario(name);
  } catch (err) {
    throw new Error(`generateTelemetry: option 'scenario': ${(err as Error).message}`);
  }
  return { outDir: path.resolve(options.outDir), spans, seed, startMs, hours, format, scenario };
}

/** Lets other work (a server's requests, a progress bar) run during long generations. */
function yieldToEventLoop(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}

/**
 * Generates a day of synthetic telemetry for the shop in `TOPOLOGY` with one injected incident
 * (`options.scenario`, default the payment regression), and writes spans, logs, metrics and events
 * as Parquet plus the ground truth (incident.json for the default, ground-truth.json otherwise)
 * into `options.outDir`. Deterministic: the same options give byte-identical files.
 */
export async function generateTelemetry(options: GeneratorOptions): Promise<GenerationSummary> {
  const began = Date.now();
  const settings = resolveOptions(options);
  const model = compileTopology(TOPOLOGY);
  const timeline = new Timeline(settings.startMs, settings.hours, model, settings.scenario);
  const calibration = calibrate(
    model,
    timeline.regression,
    Random.derive(settings.seed, STREAM.calibration),
    timeline.fullStress
  );

  fs.mkdirSync(settings.outDir, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(settings.outDir, '.opsbook-generator-'));
  try {
    const writer = await TelemetryWriter.open(workDir, DUCKDB_MEMORY_LIMIT);
    try {
      await writeTraces(settings, timeline, model, writer, options.onProgress);
      generateMetrics(
        model,
        timeline,
        calibration,
        Random.derive(settings.seed, STREAM.metrics),
        row => writer.appendMetric(row)
      );
      for (const event of buildEvents(timeline)) {
        writer.appendEvent(event);
      }
      const otlp = settings.format === 'otlp-json';
      const parquetDir = otlp ? fs.mkdtempSync(path.join(workDir, 'parquet-')) : settings.outDir;
      const written = await writer.writeParquet(parquetDir);
      const outputs: { path: string; rows: number }[] = [];
      for (const w of written) {
        if (otlp && w.table.file in OTLP_FILES) {
          const file = path.join(settings.outDir, OTLP_FILES[w.table.file as OtlpSource]);
          fs.rmSync(file, { force: true });
          outputs.push(await writer.writeOtlpJson(w.path, settings.outDir));
        } else if (otlp) {
          const file = path.join(settings.outDir, w.table.file);
          fs.copyFileSync(w.path, file);
          outputs.push({ path: file, rows: w.rows });
        } else {
          outputs.push(w);
        }
      }
      // The default keeps its historical incident.json; the library's scenarios write their truth.
      const truth = timeline.incident ?? timeline.truth;
      const truthName = timeline.incident === null ? GROUND_TRUTH_FILE : INCIDENT_FILE;
      const stale = timeline.incident === null ? INCIDENT_FILE : GROUND_TRUTH_FILE;
      fs.rmSync(path.join(settings.outDir, stale), { force: true });
      const incidentPath = path.join(settings.outDir, truthName);
      fs.writeFileSync(incidentPath, JSON.stringify(truth, null, 2) + '\n');
      const files: GeneratedFile[] = outputs.map(w => ({
        name: path.basename(w.path),
        path: w.path,
        rows: w.rows,
        bytes: fs.statSync(w.path).size
      }));
      files.push({
        name: truthName,
        path: incidentPath,
        rows: 1,
        bytes: fs.statSync(incidentPath).size
      });
      options.onProgress?.(settings.spans, settings.spans);
      return {
        files,
        ...(timeline.incident === null ? {} : { incident: timeline.incident }),
        truth: timeline.truth,
        elapsedMs: Date.now() - began
      };
    } finally {
      writer.close();
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Generates traces until exactly `settings.spans` spans exist, appending spans and their logs.
 * The k-th span's position k / total in the day's traffic sets its trace's start time, so traces
 * fill the whole window whatever the count; the last trace is cut short if needed, which keeps
 * it valid because the buffer is in pre-order.
 */
async function writeTraces(
  settings: Settings,
  timeline: Timeline,
  model: CompiledModel,
  writer: TelemetryWriter,
  onProgress: GeneratorOptions['onProgress']
): Promise<void> {
  const rng = Random.derive(settings.seed, STREAM.traces);
  const builder = new TraceBuilder(model, timeline.regression, rng);
  const logs = new LogComposer(rng, timeline.regression);
  const appendLog = writer.appendLog.bind(writer);
  const total = settings.spans;
  let done = 0;
  let nextReport = PROGRESS_EVERY;
  while (done < total) {
    const startUs = timeline.timeOfTrafficPosition(done / total);
    const cond = timeline.conditionsAt(startUs);
    const count = builder.build(builder.pickEntrypoint(), startUs, cond);
    const take = Math.min(count, total - done);
    for (let i = 0; i < take; i++) {
      writer.appendSpan(builder.spans[i]);
    }
    logs.compose(builder.spans, take, appendLog, cond.stress);
    done += take;
    if (done >= nextReport && done < total) {
      nextReport += PROGRESS_EVERY;
      onProgress?.(done, total);
      await yieldToEventLoop();
    }
  }
}
