/**
 * Prometheus adapters.
 *
 * Text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/):
 * `# HELP`/`# TYPE` lines and samples `name{label="value",...} value [timestamp_ms]`; label values
 * escape `\\`, `\"` and `\n`; values may be `NaN`, `+Inf`, `-Inf`. Counters become monotonic
 * cumulative `sum` points, gauges and untyped samples `gauge` points. The `_bucket`/`_sum`/`_count`
 * lines of a histogram (and the quantile/`_sum`/`_count` lines of a summary) with the same labels
 * and timestamp are grouped into ONE point, with Prometheus' cumulative buckets turned into OTel's
 * per-bucket counts. A sample without a timestamp gets `scrapeTime`.
 *
 * HTTP API `query_range`/`query` JSON (`matrix` or `vector` results): stream-parsed per series.
 *
 * Labels follow the OTel Prometheus receiver: `job` -> `service_name`, `instance` ->
 * `service_instance_id`; other labels -> `attributes`.
 */
import { Row } from '@opsbook/telemetry-schema';
import { describeValue, InputPosition, RecordProblem } from './errors';
import { Adapter, IngestContext } from './ingest';
import { streamJsonElements } from './json-stream';
import { splitLines, readableLine } from './lines';

/** Options of the Prometheus text adapter. */
export interface PrometheusTextOptions {
  /** Time of samples without a timestamp, in ns; default: the ingest's start. */
  scrapeTime?: bigint;
  /** `service_name` when there is no `job` label. */
  service?: string;
}

/** Parses a Prometheus float (`NaN`, `+Inf`, `-Inf` included); null when invalid. */
export function parsePromValue(text: string): number | null {
  if (text === 'NaN') {
    return NaN;
  }
  if (text === '+Inf' || text === 'Inf') {
    return Infinity;
  }
  if (text === '-Inf') {
    return -Infinity;
  }
  const value = Number(text);
  return text.trim() === '' || isNaN(value) ? null : value;
}

/** A parsed sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds, if given. */
  timestampMs?: bigint;
}

/** Parses one sample line; throws `RecordProblem('prometheus-syntax')` when malformed. */
export function parsePromSample(line: string): PromSample {
  const fail = (reason: string): never => {
    throw new RecordProblem('prometheus-syntax', { reason });
  };
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) {
    fail('a sample must start with a metric name');
  }
  const name = nameMatch![0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') {
        i++;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!labelMatch) {
        fail(`bad label name at column ${i + 1}`);
      }
      const label = labelMatch![0];
      i += label.length;
      while (line[i] === ' ') i++;
      if (line[i] !== '=' || line[i + 1] !== '"') {
        fail(`expected ="..." after label ${label}`);
      }
      i += 2;
      let value = '';
      for (;;) {
        const ch = line[i];
        if (ch === undefined) {
          fail(`unterminated value of label ${label}`);
        }
        if (ch === '\\') {
          const next = line[i + 1];
          value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next}`;
          i += 2;
        } else if (ch === '"') {
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      labels[label] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') {
    fail('expected a value and an optional timestamp after the name and labels');
  }
  const value = parsePromValue(rest[0]);
  if (value === null) {
    fail(`"${rest[0]}" is not a number`);
  }
  let timestampMs: bigint | undefined;
  if (rest[1] !== undefined) {
    if (!/^-?\d+$/.test(rest[1])) {
      fail(`timestamp "${rest[1]}" is not an integer number of milliseconds`);
    }
    timestampMs = BigInt(rest[1]);
  }
  return { name, labels, value: value!, timestampMs };
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c) => (c === 'n' ? '\n' : '\\'));
}

function baseRow(
  ctx: IngestContext,
  name: string,
  labels: Record<string, string>,
  service?: string
): Row<'metric_points'> {
  const row = ctx.row('metric_points');
  row.metric_name = name;
  for (const [key, value] of Object.entries(labels)) {
    if (key === 'job') {
      row.service_name = value;
    } else if (key === 'instance') {
      row.service_instance_id = value;
    } else if (key !== '__name__') {
      row.attributes[key] = JSON.stringify(value);
    }
  }
  row.service_name = row.service_name ?? service ?? null;
  return row;
}

interface Group {
  row: Row<'metric_points'>;
  buckets: [number, number][];
  quantiles: [number, number][];
  position: InputPosition;
}

/** Creates the Prometheus text exposition adapter. */
export function prometheusTextAdapter(options: PrometheusTextOptions = {}): Adapter {
  return {
    name: 'prometheus-text',
    async *run(chunks, ctx) {
      const scrapeTime = options.scrapeTime ?? BigInt(Date.now()) * 1_000_000n;
      const types = new Map<string, string>();
      const help = new Map<string, string>();
      let family: { name: string; type: string; groups: Map<string, Group> } | null = null;

      const flushFamily = () => {
        if (!family) {
          return;
        }
        for (const group of family.groups.values()) {
          ctx.guard(group.position, undefined, () => {
            const row = group.row;
            if (family!.type === 'histogram') {
              const sorted = group.buckets.sort((a, b) => a[0] - b[0]);
              const counts: bigint[] = [];
              let previous = 0;
              for (const [, cumulative] of sorted) {
                if (cumulative < previous) {
                  throw new RecordProblem('histogram-shape', {
                    counts: `decreasing cumulative counts (${previous} then ${cumulative})`,
                    bounds: sorted.length
                  });
                }
                counts.push(BigInt(Math.round(cumulative - previous)));
                previous = cumulative;
              }
              const bounds = sorted.map(b => b[0]).filter(b => b !== Infinity);
              if (sorted.length && sorted[sorted.length - 1][0] !== Infinity) {
                const total = row.count ?? BigInt(Math.round(previous));
                counts.push(total - BigInt(Math.round(previous)));
              }
              row.bucket_counts = counts;
              row.explicit_bounds = bounds;
              row.count = row.count ?? BigInt(Math.round(previous));
            } else {
              const sorted = group.quantiles.sort((a, b) => a[0] - b[0]);
              row.quantiles = sorted.map(q => q[0]);
              row.quantile_values = sorted.map(q => q[1]);
            }
            ctx.emit('metric_points', row, group.position);
          });
        }
        family = null;
      };

      let count = 0;
      for await (const line of splitLines(chunks, ctx.limits.maxLineBytes)) {
        const position = { line: line.line, byteOffset: line.byteOffset };
        if (!readableLine(line, ctx)) {
          continue;
        }
        const text = line.text.trim();
        if (text === '') {
          continue;
        }
        if (text.startsWith('#')) {
          const m = /^#\s*(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(text);
          if (m && m[1] === 'TYPE') {
            flushFamily();
            types.set(m[2], m[3].trim().toLowerCase());
          } else if (m) {
            help.set(m[2], unescapeHelp(m[3]));
          }
          continue;
        }
        ctx.guard(position, text, () => {
          const sample = parsePromSample(text);
          const time =
            sample.timestampMs !== undefined ? sample.timestampMs * 1_000_000n : scrapeTime;
          let base = sample.name;
          let part: 'bucket' | 'sum' | 'count' | 'quantile' | 'value' = 'value';
          for (const suffix of ['_bucket', '_sum', '_count'] as const) {
            const candidate = sample.name.slice(0, -suffix.length);
            const type = types.get(candidate);
            if (sample.name.endsWith(suffix) && (type === 'histogram' || type === 'summary')) {
              base = candidate;
              part = suffix.slice(1) as 'bucket' | 'sum' | 'count';
            }
          }
          const type = types.get(base) ?? 'untyped';
          if (type === 'histogram' || type === 'summary') {
            if (part === 'value') {
              part = 'quantile';
            }
            if (!family || family.name !== base) {
              flushFamily();
              family = { name: base, type, groups: new Map() };
            }
            const labels = { ...sample.labels };
            const bound = labels.le;
            const quantile = labels.quantile;
            delete labels.le;
            if (type === 'summary') {
              delete labels.quantile;
            }
            const key = JSON.stringify([Object.entries(labels).sort(), String(time)]);
            let group = family.groups.get(key);
            if (!group) {
              const row = baseRow(ctx, base, labels, options.service);
              row.metric_type = type;
              row.temporality = 'cumulative';
              row.description = help.get(base) ?? null;
              row.time = time;
              group = { row, buckets: [], quantiles: [], position };
              family.groups.set(key, group);
            }
            if (part === 'bucket') {
              const le = bound === undefined ? null : parsePromValue(bound);
              if (le === null) {
                throw new RecordProblem('prometheus-syntax', {
                  reason: `bucket without a numeric "le" label`
                });
              }
              group.buckets.push([le, sample.value]);
            } else if (part === 'quantile') {
              const q = quantile === undefined ? null : parsePromValue(quantile);
              if (q === null) {
                throw new RecordProblem('prometheus-syntax', {
                  reason: `summary sample without a numeric "quantile" label`
                });
              }
              group.quantiles.push([q, sample.value]);
            } else if (part === 'sum') {
              group.row.sum = sample.value;
            } else {
              group.row.count = BigInt(Math.round(sample.value));
            }
            return;
          }
          flushFamily();
          const row = baseRow(ctx, sample.name, sample.labels, options.service);
          row.time = time;
          row.value = sample.value;
          row.description = help.get(sample.name) ?? null;
          if (type === 'counter') {
            row.metric_type = 'sum';
            row.is_monotonic = true;
            row.temporality = 'cumulative';
          } else {
            row.metric_type = 'gauge';
            if (type === 'untyped') {
              row.attributes['prometheus.type'] = '"untyped"';
            }
          }
          ctx.emit('metric_points', row, position, text);
        });
        if (++count % 1024 === 0) {
          yield;
        }
      }
      flushFamily();
    }
  };
}

/** Options of the Prometheus HTTP API adapter. */
export interface PrometheusApiOptions {
  /** `service_name` when there is no `job` label. */
  service?: string;
}

/** Creates the adapter for Prometheus HTTP API `query_range`/`query` JSON (matrix or vector). */
export function prometheusApiAdapter(options: PrometheusApiOptions = {}): Adapter {
  return {
    name: 'prometheus-api',
    async *run(chunks, ctx) {
      const scalars: Record<string, unknown> = {};
      const events = streamJsonElements(chunks, {
        targets: [['data', 'result']],
        maxElementBytes: ctx.limits.maxRecordBytes
      });
      for await (const event of events) {
        if (event.kind === 'scalar') {
          scalars[event.path] = event.value;
          if (
            event.path === 'data.resultType' &&
            !['matrix', 'vector'].includes(String(event.value))
          ) {
            ctx.problem('prometheus-result-type', { resultType: String(event.value) }, {});
            return;
          }
        } else if (event.kind === 'element') {
          const record = `data.result[${event.index}]`;
          const series = event.value as Record<string, unknown>;
          const base = { byteOffset: event.byteOffset, record };
          let samples: unknown[] = [];
          let labels: Record<string, string> = {};
          try {
            if (typeof series !== 'object' || series === null || Array.isArray(series)) {
              throw new RecordProblem('wrong-type', {
                field: record,
                expected: 'an object',
                found: describeValue(series)
              });
            }
            const metric = series.metric ?? {};
            if (typeof metric !== 'object' || Array.isArray(metric)) {
              throw new RecordProblem('wrong-type', {
                field: `${record}.metric`,
                expected: 'an object of labels',
                found: describeValue(metric)
              });
            }
            labels = metric as Record<string, string>;
            samples = Array.isArray(series.values)
              ? series.values
              : series.value !== undefined
                ? [series.value]
                : [];
          } catch (error) {
            if (!(error instanceof RecordProblem)) throw error;
            ctx.problem(error.code, error.details, base);
            continue;
          }
          samples.forEach((sample, i) => {
            const position = { ...base, record: `${record}.values[${i}]` };
            ctx.guard(position, JSON.stringify(sample), () => {
              if (!Array.isArray(sample) || sample.length !== 2) {
                throw new RecordProblem('wrong-type', {
                  field: position.record,
                  expected: 'a [time, "value"] pair',
                  found: describeValue(sample)
                });
              }
              const [t, v] = sample;
              const seconds = typeof t === 'number' ? t : typeof t === 'string' ? Number(t) : NaN;
              if (!Number.isFinite(seconds)) {
                throw new RecordProblem('bad-timestamp', {
                  field: `${position.record}[0]`,
                  value: describeValue(t)
                });
              }
              const value = typeof v === 'string' ? parsePromValue(v) : null;
              if (value === null) {
                throw new RecordProblem('bad-number', {
                  field: `${position.record}[1]`,
                  value: describeValue(v)
                });
              }
              const row = baseRow(ctx, String(labels.__name__ ?? ''), labels, options.service);
              row.metric_name = labels.__name__ ?? '';
              // Seconds with up to millisecond precision, exact via the decimal string.
              const [whole, fraction = ''] = seconds.toFixed(3).split('.');
              row.time = BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
              row.metric_type = 'gauge';
              row.value = value;
              ctx.emit('metric_points', row, position);
            });
          });
          yield;
        } else if (event.kind === 'error') {
          const record = event.index !== undefined ? `data.result[${event.index}]` : undefined;
          ctx.problem(
            event.code,
            event.details,
            { byteOffset: event.byteOffset, record },
            event.raw
          );
          if (event.fatal) return;
        }
      }
      if (scalars.status !== undefined && scalars.status !== 'success') {
        ctx.problem(
          'prometheus-api-error',
          {
            status: String(scalars.status),
            errorType: String(scalars.errorType ?? 'unknown'),
            error: String(scalars.error ?? '')
          },
          {}
        );
      }
    }
  };
}
