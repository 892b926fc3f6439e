/**
 * Derives log records from a finished trace, so that logs always agree with the spans: an error
 * span has an error log with the same trace and span id, a client timeout logs the timeout, and the
 * regressed payment version warns about what it is doing wrong.
 *
 * Bodies are short messages followed by logfmt `key=value` pairs, as structured loggers write them.
 * Every request served writes one line (a business event or an access line); database calls and
 * internal work add DEBUG lines at rates tuned for about half a log record per span overall.
 */
import { Random } from './random';
import { LogRow, Severity } from './schema';
import { Regression } from './scenario';
import { Stress } from './scenarios/types';
import { SpanRecord } from './spans';

/** Probability that a database call writes a DEBUG line. */
const DB_DEBUG_RATE = 0.35;

/** Probability that other internal work writes a DEBUG line. */
const INTERNAL_DEBUG_RATE = 0.45;

/** Payment answers slower than this are logged as slow requests. */
const SLOW_REQUEST_MS = 1000;

/** Messages of unexplained 500s, by service; one is picked at random. */
const INTERNAL_ERRORS: Readonly<Record<string, readonly string[]>> = {
  frontend: ['TypeError: Cannot read properties of undefined (reading "price")'],
  'api-gateway': ['upstream connection reset by peer'],
  auth: ['redis: connection pool timeout'],
  catalog: ['pq: canceling statement due to user request'],
  recommendation: ['IndexError: list index out of range'],
  cart: ['redis: i/o timeout'],
  checkout: ['NullPointerException at OrderService.place(OrderService.java:142)'],
  payment: ['decimal: rounding mode not set'],
  inventory: ['deadlock detected while updating stock'],
  shipping: ['rate table not loaded']
};

/** HTTP reason phrases for the status codes the generator produces. */
const REASON: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout'
};

/** Formats microseconds as milliseconds with one decimal. */
function ms(us: number): string {
  return (us / 1000).toFixed(1);
}

/**
 * Turns traces into log records. Holds one reused row, so a consumer must copy what it keeps
 * (the writer appends each row to DuckDB immediately).
 */
export class LogComposer {
  private readonly row: LogRow = {
    timestampUs: 0,
    serviceName: '',
    serviceVersion: '',
    hostName: '',
    severity: 'INFO',
    body: '',
    traceId: null,
    spanId: null
  };

  /** Creates a composer drawing its randomness (ids in messages, sampling) from `rng`. */
  constructor(
    private readonly rng: Random,
    private readonly regression: Regression
  ) {}

  /**
   * Emits the log records of the first `count` spans of a trace, in span order; `stress` is the
   * scenario's effect when the trace ran, for the extra lines of perturbed services.
   */
  compose(
    spans: readonly SpanRecord[],
    count: number,
    emit: (row: LogRow) => void,
    stress: Stress | null = null
  ): void {
    this.stress = stress;
    for (let i = 0; i < count; i++) {
      const span = spans[i];
      if (span.spanKind === 'SERVER') {
        this.server(span, emit);
        if (stress !== null) {
          this.perturbed(span, stress, emit);
        }
      } else if (span.spanKind === 'CLIENT') {
        this.client(span, emit);
      } else {
        this.internal(span, emit);
      }
    }
  }

  private server(span: SpanRecord, emit: (row: LogRow) => void): void {
    const rng = this.rng;
    const code = span.httpStatusCode ?? 0;
    const took = ms(span.endUs - span.startUs);
    const isRegressed =
      span.serviceName === this.regression.service &&
      span.serviceVersion === this.regression.badVersion;
    if (isRegressed && span.queueWaitUs > 400_000 && rng.chance(0.6)) {
      const depth = 32 + Math.round(span.queueWaitUs / 40_000) + rng.int(8);
      const body = `request queue depth ${depth} above threshold 32 waited_ms=${ms(span.queueWaitUs)}`;
      this.put(emit, span, span.startUs + span.queueWaitUs, 'WARN', body);
    }
    switch (span.cause) {
      case 'none':
        this.success(span, took, emit);
        break;
      case 'client':
        if (code === 401) {
          const body = `login failed: invalid credentials user_id=u_${100000 + rng.int(900000)}`;
          this.put(emit, span, span.endUs, 'WARN', body);
        } else if (rng.chance(0.5)) {
          const body = `product not found product_id=${rng.hex(1).toUpperCase()} status=${code}`;
          this.put(emit, span, span.endUs, 'INFO', body);
        }
        break;
      case 'self': {
        const messages = INTERNAL_ERRORS[span.serviceName] ?? ['internal error'];
        const error = messages[rng.int(messages.length)];
        const body = `unhandled error in ${span.spanName}: ${error} status=500`;
        this.put(emit, span, span.endUs, 'ERROR', body);
        break;
      }
      case 'queue':
        this.put(
          emit,
          span,
          span.endUs,
          'ERROR',
          `request rejected: waited ${this.regression.queueDeadlineMs}ms in queue ` +
            `route=${span.httpRoute} status=503`
        );
        break;
      case 'injected': {
        const p = this.stress?.perturbations[span.serviceIndex];
        const message = p?.errorMessage ?? 'internal error';
        this.put(
          emit,
          span,
          span.endUs,
          'ERROR',
          `${message} route=${span.httpRoute} status=${code}`
        );
        break;
      }
      case 'database':
        this.put(
          emit,
          span,
          span.endUs,
          'ERROR',
          `request failed: database query timed out after retries route=${span.httpRoute} ` +
            `status=${code} duration_ms=${took}`
        );
        break;
      case 'external':
        this.put(
          emit,
          span,
          span.endUs,
          'ERROR',
          'payment provider error: api.stripe.com responded 503 Service Unavailable status=502'
        );
        break;
      case 'downstream':
        this.put(
          emit,
          span,
          span.endUs,
          code >= 500 ? 'ERROR' : 'INFO',
          `request failed method=${span.httpMethod} route=${span.httpRoute} status=${code} ` +
            `error="${REASON[code] ?? 'upstream error'}" duration_ms=${took}`
        );
        break;
    }
    if (
      span.serviceName === this.regression.service &&
      span.endUs - span.startUs > SLOW_REQUEST_MS * 1000
    ) {
      const body = `slow request ${span.spanName} took ${took}ms threshold_ms=${SLOW_REQUEST_MS}`;
      this.put(emit, span, span.endUs, 'WARN', body);
    }
  }

  /** The scenario's effect on the trace being composed. */
  private stress: Stress | null = null;

  /** The scenario's extra line for a request of a perturbed service, sampled by intensity. */
  private perturbed(span: SpanRecord, stress: Stress, emit: (row: LogRow) => void): void {
    const p = stress.perturbations[span.serviceIndex];
    if (p === null) {
      return;
    }
    const k = stress.intensity[span.serviceIndex];
    if (p.log !== undefined && this.rng.chance(p.log.probability * k)) {
      this.put(emit, span, span.startUs, p.log.severity, p.log.body(k, this.rng));
    }
  }

  /** The normal log of a successful request: a business event or an access line. */
  private success(span: SpanRecord, took: string, emit: (row: LogRow) => void): void {
    const rng = this.rng;
    const amount = (): string => rng.uniform(8, 420).toFixed(2);
    let body: string;
    switch (`${span.serviceName} ${span.spanName}`) {
      case 'checkout POST /checkout':
        body = `order placed order_id=ord_${rng.hex(1)} items=${1 + rng.int(5)} total=${amount()} currency=USD`;
        break;
      case 'payment POST /charge':
        body = `charge succeeded payment_id=pay_${rng.hex(2)} amount=${amount()} currency=USD provider=stripe`;
        break;
      case 'auth POST /login':
        body = `user logged in user_id=u_${100000 + rng.int(900000)}`;
        break;
      case 'shipping POST /shipments':
        body = `shipment created carrier=${rng.chance(0.6) ? 'ups' : 'dhl'} eta_days=${2 + rng.int(4)}`;
        break;
      default:
        body =
          `request completed method=${span.httpMethod} route=${span.httpRoute} ` +
          `status=${span.httpStatusCode} duration_ms=${took}`;
    }
    this.put(emit, span, span.endUs, 'INFO', body);
  }

  private client(span: SpanRecord, emit: (row: LogRow) => void): void {
    const code = span.httpStatusCode ?? 0;
    if (span.timedOut && span.httpMethod === null) {
      const db = this.stress?.perturbations[span.serviceIndex]?.database ?? 'unknown';
      const body =
        `pq: canceling statement due to statement timeout db=${db} query="${span.spanName}" ` +
        `timeout_ms=${span.timeoutMs} attempt=${span.attempt}`;
      this.put(emit, span, span.endUs, 'WARN', body);
    } else if (span.timedOut) {
      const body = `timeout calling ${span.peer} after ${span.timeoutMs}ms operation="${span.spanName}"`;
      this.put(emit, span, span.endUs, 'ERROR', body);
    } else if (span.httpMethod !== null && code >= 500) {
      const body = `call to ${span.peer} failed operation="${span.spanName}" status=${code}`;
      this.put(emit, span, span.endUs, 'WARN', body);
    } else if (span.httpMethod === null && this.rng.chance(DB_DEBUG_RATE)) {
      const body = `query ${span.spanName} done rows=${this.rng.int(40)} duration_ms=${ms(span.endUs - span.startUs)}`;
      this.put(emit, span, span.endUs, 'DEBUG', body);
    }
  }

  private internal(span: SpanRecord, emit: (row: LogRow) => void): void {
    const rng = this.rng;
    const took = ms(span.endUs - span.startUs);
    if (span.spanName === this.regression.slowStep.name) {
      if (span.serviceVersion === this.regression.badVersion && rng.chance(0.8)) {
        const body = `fraud model cache miss: reloaded model fraud-v7 load_ms=${took}`;
        this.put(emit, span, span.endUs, 'WARN', body);
      } else if (rng.chance(INTERNAL_DEBUG_RATE)) {
        const body = `fraud score computed score=${rng.uniform(0, 0.3).toFixed(3)} decision=approve`;
        this.put(emit, span, span.endUs, 'DEBUG', body);
      }
    } else if (rng.chance(INTERNAL_DEBUG_RATE)) {
      this.put(emit, span, span.endUs, 'DEBUG', `${span.spanName} finished duration_ms=${took}`);
    }
  }

  /** Fills the reused row from `span` and hands it to `emit`. */
  private put(
    emit: (row: LogRow) => void,
    span: SpanRecord,
    timestampUs: number,
    severity: Severity,
    body: string
  ): void {
    const row = this.row;
    row.timestampUs = timestampUs;
    row.serviceName = span.serviceName;
    row.serviceVersion = span.serviceVersion;
    row.hostName = span.hostName;
    row.severity = severity;
    row.body = body;
    row.traceId = span.traceId;
    row.spanId = span.spanId;
    emit(row);
  }
}
