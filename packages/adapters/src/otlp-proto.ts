/**
 * OTLP/protobuf adapter for traces, logs and metrics (every metric kind), decoded with protobufjs
 * from the official opentelemetry-proto definitions vendored in `proto/` (loaded from the JSON
 * descriptor `otlp-descriptor.json`, no .proto parsing at run time).
 *
 * Accepted framing (binary protobuf, after optional gzip):
 * - `single`: the whole input is one `ExportTraceServiceRequest`, `ExportLogsServiceRequest` or
 *   `ExportMetricsServiceRequest` (an OTLP/HTTP request body, a `.binpb` file);
 * - `delimited`: a sequence of such requests, each prefixed by its length as a varint (protobuf's
 *   `writeDelimitedTo` / protobufjs `encodeDelimited`, as written by exporters that append
 *   requests to a file). Each length is capped by `limits.maxMessageBytes`.
 * `auto` (the default) tells them apart from the first bytes: a request starts with the tag byte
 *   0x0A of field 1; a length prefix of exactly 10 (also 0x0A) is followed by 0x0A and then a
 *   resource entry length of at most 8, while a single request has a tag (> 8) there.
 *
 * Memory stays bounded whatever the input size: a request is never held whole. Its top-level
 * field 1 entries (`ResourceSpans` / `ResourceLogs` / `ResourceMetrics`) are read one at a time,
 * each capped by `limits.maxRecordBytes`, decoded, converted to the OTLP/JSON shape and mapped by
 * `mapOtlpResource` (the same code as OTLP/JSON, so both encodings give identical rows).
 *
 * The signal is given by `signal` or detected from the first records' field numbers and wire
 * types (a request does not say which kind it is on the wire); one input holds one signal.
 *
 * Errors: an entry that does not decode, or is too large, is quarantined/rejected on its own with
 * its byte offset; broken framing (truncated input, invalid wire type, a length past the end of
 * its message) stops the ingest with the byte offset.
 */
import { Field, INamespace, Root, Type } from 'protobufjs/light';
import { ByteReader, WireError } from './byte-reader';
import { Adapter, IngestContext } from './ingest';
import { mapOtlpResource, OTLP_SIGNALS, OtlpSignal } from './otlp-map';
import descriptor from './otlp-descriptor.json';

/** How export requests are laid out in the input. */
export type OtlpProtoFraming = 'auto' | 'single' | 'delimited';

/** Options of the OTLP/protobuf adapter. */
export interface OtlpProtoOptions {
  /** Signals to read; default all three. Entries of another signal are skipped with a note. */
  signals?: OtlpSignal[];
  /** The signal of the input; default detected from the first records. */
  signal?: OtlpSignal;
  /** The framing; default `auto`. */
  framing?: OtlpProtoFraming;
}

const PACKAGE = 'opentelemetry.proto';

/** Per signal: the resource entry type, the record type, and the request name for messages. */
const TYPES: Record<OtlpSignal, { entry: string; record: string; request: string }> = {
  resourceSpans: {
    entry: `${PACKAGE}.trace.v1.ResourceSpans`,
    record: `${PACKAGE}.trace.v1.Span`,
    request: 'ExportTraceServiceRequest'
  },
  resourceLogs: {
    entry: `${PACKAGE}.logs.v1.ResourceLogs`,
    record: `${PACKAGE}.logs.v1.LogRecord`,
    request: 'ExportLogsServiceRequest'
  },
  resourceMetrics: {
    entry: `${PACKAGE}.metrics.v1.ResourceMetrics`,
    record: `${PACKAGE}.metrics.v1.Metric`,
    request: 'ExportMetricsServiceRequest'
  }
};

/** The legacy (pre-1.0) name of each signal's scope list, read when the new one is absent. */
const LEGACY_SCOPES: Record<OtlpSignal, string> = {
  resourceSpans: 'instrumentationLibrarySpans',
  resourceLogs: 'instrumentationLibraryLogs',
  resourceMetrics: 'instrumentationLibraryMetrics'
};

const SIGNALS = Object.keys(OTLP_SIGNALS) as OtlpSignal[];

const TO_OBJECT = {
  longs: String,
  enums: Number,
  bytes: String,
  json: true
};

let root: Root | null = null;

/** The protobufjs root of the vendored OTLP definitions (built once). */
export function otlpProtoRoot(): Root {
  if (!root) {
    root = Root.fromJSON(descriptor as unknown as INamespace);
    root.resolveAll();
  }
  return root;
}

const WIRE_OF_TYPE: Record<string, number> = {
  double: 1,
  fixed64: 1,
  sfixed64: 1,
  float: 5,
  fixed32: 5,
  sfixed32: 5,
  string: 2,
  bytes: 2
};

function wireTypeOf(field: Field): number {
  return field.resolvedType instanceof Type ? 2 : (WIRE_OF_TYPE[field.type] ?? 0);
}

/**
 * A synchronous wire walker over one in-memory message: calls `visit` per field with the span of
 * its value (the payload, for length-delimited fields). Throws on malformed wire data.
 */
function walk(
  bytes: Uint8Array,
  visit: (field: number, wire: number, start: number, end: number) => void
): void {
  let pos = 0;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10 && pos < bytes.length; i++) {
      const b = bytes[pos++];
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) {
        return value;
      }
    }
    throw new Error('bad varint');
  };
  while (pos < bytes.length) {
    const tag = varint();
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    let start = pos;
    if (wire === 0) {
      varint();
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const n = varint();
      start = pos;
      pos += n;
    } else {
      throw new Error('bad wire type');
    }
    if (pos > bytes.length) {
      throw new Error('truncated');
    }
    visit(field, wire, start, pos);
  }
}

/**
 * Detects the signal of one encoded resource entry from its first records (an export request
 * does not say on the wire which kind it is): each signal's record type scores +1 per field whose
 * number and wire type it defines and -3 per field it defines with another wire type; fields 1
 * and 2 of 16 and 8 bytes (trace and span id) favour spans, other lengths count against them. Null when the entry has no records or does not
 * parse, so that the next entry decides.
 */
export function detectOtlpSignal(entry: Uint8Array): OtlpSignal | null {
  const records: Uint8Array[] = [];
  try {
    walk(entry, (field, wire, start, end) => {
      // field 2: scope_spans/scope_logs/scope_metrics; 1000: the legacy instrumentation_library_*
      if ((field === 2 || field === 1000) && wire === 2) {
        const scope = entry.subarray(start, end);
        walk(scope, (f, w, s, e) => {
          if (f === 2 && w === 2 && records.length < 8) {
            records.push(scope.subarray(s, e));
          }
        });
      }
    });
  } catch {
    return null;
  }
  if (records.length === 0) {
    return null;
  }
  const scores = SIGNALS.map(signal => {
    const type = otlpProtoRoot().lookupType(TYPES[signal].record);
    let score = 0;
    for (const record of records) {
      try {
        walk(record, (field, wire, start, end) => {
          const spec = type.fieldsById[field];
          if (spec) {
            score += wireTypeOf(spec) === wire ? 1 : -3;
          }
          if (signal === 'resourceSpans' && wire === 2 && (field === 1 || field === 2)) {
            // a span's fields 1 and 2 are its trace id (16 bytes) and span id (8 bytes)
            score += end - start === (field === 1 ? 16 : 8) ? 2 : -3;
          }
        });
      } catch {
        score -= 10;
      }
    }
    return score;
  });
  return SIGNALS[scores.indexOf(Math.max(...scores))];
}

/** Decodes one resource entry into the OTLP/JSON object shape `mapOtlpResource` reads. */
export function decodeOtlpEntry(signal: OtlpSignal, bytes: Uint8Array): Record<string, unknown> {
  const type = otlpProtoRoot().lookupType(TYPES[signal].entry);
  const object = type.toObject(type.decode(bytes), TO_OBJECT);
  const scopes = OTLP_SIGNALS[signal].scopes;
  const legacy = object[LEGACY_SCOPES[signal]] as Record<string, unknown>[] | undefined;
  if (object[scopes] === undefined && legacy) {
    object[scopes] = legacy.map(s => ({ ...s, scope: s.instrumentationLibrary }));
  }
  return object;
}

/** Turns a protobufjs decode error into a reason and the byte it is at. */
function decodeProblem(error: unknown, entryStart: number): { reason: string; at: number } {
  const message = error instanceof Error ? error.message : String(error);
  const offset = /at offset (\d+)/.exec(message) ?? /index out of range: (\d+)/.exec(message);
  const at = offset ? entryStart + Number(offset[1]) : entryStart;
  return { reason: `${message} (byte ${at})`, at };
}

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'];

/** Creates the OTLP/protobuf adapter. */
export function otlpProtoAdapter(options: OtlpProtoOptions = {}): Adapter {
  const wanted = new Set(options.signals ?? SIGNALS);
  return {
    name: 'otlp-proto',
    async *run(chunks: AsyncIterable<Uint8Array>, ctx: IngestContext) {
      const reader = new ByteReader(chunks);
      let signal: OtlpSignal | null = options.signal ?? null;
      let framing = options.framing ?? 'auto';
      let entryIndex = 0;
      let skippedOther = 0;
      let unknownFields = 0;
      const fatal = (error: WireError, request: string) => {
        ctx.problem(
          'protobuf-invalid',
          { reason: error.message, message: request },
          { byteOffset: error.at }
        );
      };

      /** Reads the fields of one request up to `end` (null: the end of the input). */
      const readRequest = async function* (end: number | null, prefix: string) {
        while (end === null ? !(await reader.atEnd()) : reader.position < end) {
          const tagAt = reader.position;
          const tag = await reader.varint('field tag');
          const wire = tag % 8;
          const field = Math.floor(tag / 8);
          if (field === 0 || wire > 5 || wire === 3 || wire === 4) {
            throw new WireError(
              `invalid field tag ${tag} (field ${field}, wire type ${wire}) at byte ${tagAt}`,
              tagAt,
              false
            );
          }
          let length = 0;
          if (wire === 2) {
            length = await reader.varint('length');
            const limit = end === null ? Infinity : end - reader.position;
            if (length > limit) {
              throw new WireError(
                `the field at byte ${tagAt} declares ${length} bytes, past the end of its ` +
                  `message at byte ${end}`,
                tagAt,
                false
              );
            }
          }
          const skip = () =>
            reader.skip(
              wire === 2 ? length : wire === 1 ? 8 : 4,
              `the field ${field} at byte ${tagAt}`
            );
          if (field !== 1) {
            unknownFields++;
            if (wire === 0) {
              await reader.varint('field');
            } else {
              await skip();
            }
            continue;
          }
          const name = signal ?? 'resource entry';
          const what = `the ${signal ? `${signal} entry` : 'resource entry'} at byte ${tagAt}`;
          const position = {
            byteOffset: tagAt,
            record: `${prefix}${signal ?? 'resource'}[${entryIndex}]`
          };
          entryIndex++;
          if (wire !== 2) {
            ctx.problem(
              'protobuf-invalid',
              {
                reason:
                  `field 1 (${name}) at byte ${tagAt} has wire type ${wire} ` +
                  `(${WIRE_NAMES[wire]}), expected 2 (length-delimited)`,
                message: signal ? TYPES[signal].request : undefined
              },
              position
            );
            if (wire === 0) {
              await reader.varint('field');
            } else {
              await skip();
            }
            continue;
          }
          if (length > ctx.limits.maxRecordBytes) {
            ctx.problem('record-too-large', { limit: ctx.limits.maxRecordBytes }, position);
            await skip();
            continue;
          }
          const dataAt = reader.position;
          const bytes = await reader.read(length, what);
          if (!signal) {
            signal = detectOtlpSignal(bytes);
            if (signal) {
              ctx.note(`OTLP/protobuf: ${framing} framing, ${TYPES[signal].request} (detected)`);
            }
          }
          const entrySignal = signal ?? 'resourceSpans';
          if (!wanted.has(entrySignal)) {
            skippedOther++;
            continue;
          }
          position.record = `${prefix}${entrySignal}[${entryIndex - 1}]`;
          let value: Record<string, unknown>;
          try {
            value = decodeOtlpEntry(entrySignal, bytes);
          } catch (error) {
            const problem = decodeProblem(error, dataAt);
            ctx.problem(
              'protobuf-invalid',
              { reason: problem.reason, message: TYPES[entrySignal].request },
              { ...position, byteOffset: problem.at }
            );
            continue;
          }
          mapOtlpResource(entrySignal, value, position, ctx);
          yield;
        }
        if (end !== null && reader.position !== end) {
          throw new WireError(
            `a field crosses the end of its message at byte ${end}`,
            reader.position,
            false
          );
        }
      };

      try {
        if (framing === 'auto') {
          await reader.fill(3);
          framing =
            reader.peek(0) !== 0x0a || (reader.peek(1) === 0x0a && reader.peek(2) <= 8)
              ? 'delimited'
              : 'single';
        }
        if (options.signal) {
          ctx.note(`OTLP/protobuf: ${framing} framing, ${TYPES[options.signal].request}`);
        }
        if (framing === 'single') {
          yield* readRequest(null, '');
        } else {
          let message = 0;
          while (!(await reader.atEnd())) {
            message++;
            const lengthAt = reader.position;
            const length = await reader.varint('message length');
            if (length > ctx.limits.maxMessageBytes) {
              throw new WireError(
                `message ${message} at byte ${lengthAt} declares ${length} bytes, more than the ` +
                  `limit maxMessageBytes of ${ctx.limits.maxMessageBytes} (is the input really ` +
                  'length-delimited OTLP?)',
                lengthAt,
                false
              );
            }
            entryIndex = 0;
            yield* readRequest(reader.position + length, `message ${message}, `);
          }
        }
      } catch (error) {
        if (!(error instanceof WireError)) {
          throw error;
        }
        fatal(error, signal ? TYPES[signal].request : 'OTLP export request');
        return;
      }
      if (skippedOther) {
        ctx.note(`OTLP/protobuf: skipped ${skippedOther} entries of signals not asked for`);
      }
      if (unknownFields) {
        ctx.note(`OTLP/protobuf: skipped ${unknownFields} unknown top-level fields (no rows)`);
      }
    }
  };
}
