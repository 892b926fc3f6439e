/**
 * The adapter registry: one name (`AdapterKind`) per input format, a one-line description of
 * each, `adapterFor(kind, options)` to build the adapter with its options checked, and
 * `detectAdapterKind(fileName)` to guess the kind from a file name.
 *
 * Detection is by extension only (after stripping a trailing `.gz`), never by content, so it is
 * cheap and predictable; a caller that knows better passes the kind explicitly:
 *
 * | extension                          | kind          | why                                            |
 * |------------------------------------|---------------|------------------------------------------------|
 * | `.json`                            | `otlp`        | the OTLP/JSON examples and file exporter       |
 * | `.otlp.json`, `.otlp.jsonl`        | `otlp`        | explicit                                       |
 * | `.pb`, `.binpb`, `.protobuf`, `.otlp` | `otlp-proto` | binary OTLP export requests                  |
 * | `.prom`, `.metrics`                | `prom`        | Prometheus text exposition                     |
 * | `.jsonl`, `.ndjson`                | `jsonl`       | JSON-lines logs                                |
 * | `.log`, `.txt`                     | `text`        | plain-text logs (a `.txt` is far more often a  |
 * |                                    |               | log than a metrics scrape; name scrapes `.prom`) |
 * | `.csv`, `.tsv`                     | `csv`         |                                                |
 * | `.parquet`, `.pq`                  | `parquet`     |                                                |
 * | `.arrow`, `.arrows`, `.feather`, `.ipc` | `arrow`  |                                                |
 *
 * `prom-api` (a Prometheus `query_range` answer) and `alertmanager` (a webhook payload) are JSON
 * too; they are never detected from a name and must be chosen explicitly.
 */
import { TableName, TABLE_NAMES } from '@opsbook/telemetry-schema';
import { IngestError } from './errors';
import { Adapter } from './ingest';
import { JsonLogMapping, jsonLinesLogAdapter } from './logs-jsonl';
import { textLogAdapter } from './logs-text';
import { otlpJsonAdapter } from './otlp-json';
import { OtlpSignal } from './otlp-map';
import { OtlpProtoFraming, otlpProtoAdapter } from './otlp-proto';
import { parquetAdapter, ParquetFile } from './parquet';
import { prometheusApiAdapter, prometheusTextAdapter } from './prometheus';
import { alertmanagerAdapter } from './alertmanager';
import { arrowIpcAdapter, csvAdapter } from './tabular';
import { TableMapping } from './mapping';

/** Every adapter kind, with a one-line description (shown in pickers and error messages). */
export const ADAPTER_KINDS = {
  otlp: 'OTLP/JSON traces, logs or metrics (an export request, or one request per line)',
  'otlp-proto':
    'OTLP/protobuf traces, logs or metrics (one export request, or a length-delimited stream)',
  prom: 'Prometheus/OpenMetrics text exposition format (a /metrics scrape)',
  'prom-api': 'Prometheus HTTP API query or query_range JSON answer (vector or matrix)',
  alertmanager: 'Alertmanager webhook payload (JSON) into the events table',
  jsonl: 'JSON-lines logs, one object per line (fields detected or mapped)',
  text: 'Plain-text logs, one record per timestamped line (format detected or given)',
  csv: 'CSV with a header row, mapped column by column into one canonical table',
  parquet: 'Parquet file, mapped column by column into one canonical table',
  arrow: 'Arrow IPC stream or file, mapped column by column into one canonical table'
} as const;

/** The name of an input format. */
export type AdapterKind = keyof typeof ADAPTER_KINDS;

/** Field names of a log record (JSON-lines logs); missing ones are detected. */
export interface LogFieldOptions {
  /** Field holding the record time. */
  timestamp?: string;
  /** Field holding the level/severity. */
  level?: string;
  /** Field holding the service name. */
  service?: string;
  /** Field holding the message/body. */
  message?: string;
  /** Field holding the trace id. */
  traceId?: string;
  /** Field holding the span id. */
  spanId?: string;
}

/** Options of `adapterFor`; each kind reads only the options that concern it. */
export interface AdapterOptions {
  /**
   * Target table of a tabular source (csv, parquet, arrow). Needed unless `mapping.table` is
   * given.
   */
  table?: TableName;
  /**
   * Column mapping of a tabular source; `table` may be left out when `options.table` is given.
   * Without `columns`, source columns are matched to canonical columns of the same name (a file
   * written in the canonical schema, e.g. by our generator or a snapshot, needs no mapping).
   */
  mapping?: Partial<TableMapping>;
  /**
   * Random-access Parquet file (parquet): read footer first and one row group at a time, instead of
   * buffering the ingest's byte stream whole.
   */
  file?: ParquetFile;
  /** CSV delimiter; default ",". */
  delimiter?: string;
  /** OTLP signals to read; default all three (otlp, otlp-proto). */
  signals?: OtlpSignal[];
  /** The signal of an OTLP/protobuf input; default detected (otlp-proto). */
  signal?: OtlpSignal;
  /** Framing of an OTLP/protobuf input; default `auto` (otlp-proto). */
  framing?: OtlpProtoFraming;
  /** Log field names (jsonl). */
  logFields?: LogFieldOptions;
  /** Constant `service_name` for logs and metrics without one (jsonl, text, prom, prom-api). */
  service?: string;
  /** Plain-text log format name from `LOG_FORMATS`; default detected (text). */
  format?: string;
  /** Year for log formats without one (text); default the current UTC year. */
  year?: number;
  /** Time of Prometheus samples without a timestamp, in ns (prom); default the ingest start. */
  scrapeTime?: bigint;
}

/** True when `kind` is a known adapter kind. */
export function isAdapterKind(kind: string): kind is AdapterKind {
  return Object.prototype.hasOwnProperty.call(ADAPTER_KINDS, kind);
}

function tableMapping(kind: AdapterKind, options: AdapterOptions): TableMapping {
  const table = options.mapping?.table ?? options.table;
  if (table === undefined) {
    throw new IngestError('adapter-option-missing', {
      kind,
      option: 'table',
      hint: `say which canonical table the rows go to (one of ${TABLE_NAMES.join(', ')})`
    });
  }
  if (!TABLE_NAMES.includes(table)) {
    throw new IngestError('mapping-unknown-target', { column: '(table)', table });
  }
  return { ...options.mapping, table, columns: options.mapping?.columns ?? {} };
}

/**
 * Creates the adapter of `kind` with `options`. Throws an `IngestError` (`adapter-unknown`,
 * `adapter-option-missing`) when the kind is unknown or a required option is missing: csv,
 * parquet and arrow need a target table (`options.table` or `options.mapping.table`).
 */
export function adapterFor(kind: AdapterKind, options: AdapterOptions = {}): Adapter {
  const logFields = options.logFields ?? {};
  switch (kind) {
    case 'otlp':
      return otlpJsonAdapter({ signals: options.signals });
    case 'otlp-proto':
      return otlpProtoAdapter({
        signals: options.signals,
        signal: options.signal,
        framing: options.framing
      });
    case 'prom':
      return prometheusTextAdapter({ scrapeTime: options.scrapeTime, service: options.service });
    case 'prom-api':
      return prometheusApiAdapter({ service: options.service });
    case 'alertmanager':
      return alertmanagerAdapter();
    case 'jsonl': {
      const mapping: JsonLogMapping = {
        time: logFields.timestamp,
        level: logFields.level,
        service: logFields.service,
        message: logFields.message,
        traceId: logFields.traceId,
        spanId: logFields.spanId
      };
      for (const key of Object.keys(mapping) as (keyof JsonLogMapping)[]) {
        if (mapping[key] === undefined) {
          delete mapping[key];
        }
      }
      return jsonLinesLogAdapter({ mapping, service: options.service });
    }
    case 'text':
      return textLogAdapter({
        format: options.format,
        service: options.service,
        year: options.year
      });
    case 'csv':
      return csvAdapter({ mapping: tableMapping(kind, options), delimiter: options.delimiter });
    case 'parquet':
      return parquetAdapter({ mapping: tableMapping(kind, options), file: options.file });
    case 'arrow':
      return arrowIpcAdapter({ mapping: tableMapping(kind, options) });
    default:
      throw new IngestError('adapter-unknown', {
        kind: String(kind),
        known: Object.keys(ADAPTER_KINDS).join(', ')
      });
  }
}

const EXTENSIONS: [string, AdapterKind][] = [
  ['.otlp.jsonl', 'otlp'],
  ['.otlp.json', 'otlp'],
  ['.json', 'otlp'],
  ['.pb', 'otlp-proto'],
  ['.binpb', 'otlp-proto'],
  ['.protobuf', 'otlp-proto'],
  ['.otlp', 'otlp-proto'],
  ['.prom', 'prom'],
  ['.metrics', 'prom'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.log', 'text'],
  ['.txt', 'text'],
  ['.csv', 'csv'],
  ['.tsv', 'csv'],
  ['.parquet', 'parquet'],
  ['.pq', 'parquet'],
  ['.arrow', 'arrow'],
  ['.arrows', 'arrow'],
  ['.feather', 'arrow'],
  ['.ipc', 'arrow']
];

/**
 * Guesses the adapter kind from a file name's extension (case-insensitive, a trailing `.gz`
 * ignored); null when the extension says nothing. See the table at the top of this module.
 */
export function detectAdapterKind(fileName: string): AdapterKind | null {
  let name = fileName.toLowerCase().trim();
  if (name.endsWith('.gz')) {
    name = name.slice(0, -3);
  }
  return EXTENSIONS.find(([ext]) => name.endsWith(ext))?.[1] ?? null;
}
