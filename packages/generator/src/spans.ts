/**
 * Builds one trace at a time by walking the call graph from an entrypoint.
 *
 * A SERVER span spends part of its own time, runs its stages (steps of a stage in parallel), then
 * spends the rest. An HTTP step is a CLIENT span in the caller around a SERVER span in the callee,
 * a network hop either side; if the callee is slower than the caller's timeout, the CLIENT span
 * ends at the timeout without a status code and the caller answers 504, while the callee's SERVER
 * span runs on to its natural end, as it does in real systems. Failures of critical steps stop the
 * remaining stages and propagate the status code upstream.
 *
 * Status codes follow the OpenTelemetry HTTP conventions: SERVER spans are ERROR for 5xx and UNSET
 * otherwise (a 4xx is the client's fault); CLIENT spans are ERROR for any 4xx/5xx or no response;
 * INTERNAL spans are created by hand in our services and set OK.
 *
 * Spans are stored in a reused buffer in pre-order (every parent before its children), so any
 * prefix of a trace is itself a valid trace; the generator relies on that to stop at exactly the
 * requested number of spans.
 */
import { CompiledHttpStep, CompiledModel, CompiledStep } from './model';
import { Random } from './random';
import { SpanKind, SpanRow } from './schema';
import { Conditions } from './timeline';
import { Regression } from './scenario';
import { scaledFactor } from './scenarios/types';

/** Why a SERVER span failed; logs use it to choose their message. */
export type FailureCause =
  | 'none'
  | 'client'
  | 'self'
  | 'queue'
  | 'downstream'
  | 'external'
  /** The scenario made the service fail (`Perturbation.errorRate`). */
  | 'injected'
  /** A database call timed out on every attempt (`Perturbation.dbTimeoutMs`). */
  | 'database';

/** A span plus the facts about it that logs and tests need but the Parquet file does not hold. */
export interface SpanRecord extends SpanRow {
  /** Position in the trace buffer. */
  index: number;
  /** Position of the parent in the trace buffer, -1 for the root. */
  parentIndex: number;
  serviceIndex: number;
  /** Operation index for SERVER spans, -1 otherwise. */
  operation: number;
  /** Called service or external host, for CLIENT spans of HTTP calls. */
  peer: string | null;
  /** For CLIENT spans: whether the caller gave up waiting, and after how long. */
  timedOut: boolean;
  timeoutMs: number;
  /** For SERVER spans: how the request failed, if it did. */
  cause: FailureCause;
  /** For SERVER spans of a regressed service: time spent queued before work began. */
  queueWaitUs: number;
  /** For database CLIENT spans: 1 for the first try, 2 for the first retry, ... */
  attempt: number;
}

/** A fresh, empty span record. */
function emptyRecord(): SpanRecord {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: null,
    serviceName: '',
    serviceVersion: '',
    hostName: '',
    spanName: '',
    spanKind: 'INTERNAL',
    startUs: 0,
    endUs: 0,
    status: 'UNSET',
    httpMethod: null,
    httpRoute: null,
    httpStatusCode: null,
    index: 0,
    parentIndex: -1,
    serviceIndex: 0,
    operation: -1,
    peer: null,
    timedOut: false,
    timeoutMs: 0,
    cause: 'none',
    queueWaitUs: 0,
    attempt: 1
  };
}

/** Median network hop between services, in milliseconds. */
const NETWORK_HOP_MS = 0.35;

/**
 * Builds traces into a reused buffer. One builder serves a whole run; its random stream decides
 * every latency, error and id, so a run is reproducible from the seed.
 */
export class TraceBuilder {
  /** The buffer; only the first `count` records of the last trace are meaningful. */
  readonly spans: SpanRecord[] = [];
  /** Number of spans in the last trace built. */
  count = 0;

  private traceId = '';
  private cond!: Conditions;
  private readonly regressionService: number;

  /**
   * Creates a builder for `model`, applying `regression` to its service while the conditions say
   * the bad version runs.
   */
  constructor(
    private readonly model: CompiledModel,
    private readonly regression: Regression,
    private readonly rng: Random
  ) {
    this.regressionService = model.serviceIndex(regression.service);
  }

  /**
   * Builds one trace for entrypoint operation `entry` starting at `startUs` under `cond`, and returns
   * the number of spans (also in `count`).
   */
  build(entry: number, startUs: number, cond: Conditions): number {
    this.count = 0;
    this.cond = cond;
    this.traceId = this.rng.traceId();
    this.serve(entry, -1, startUs);
    return this.count;
  }

  /** Picks an entrypoint operation by traffic weight. */
  pickEntrypoint(): number {
    return this.model.entrypoints[this.rng.pickCumulative(this.model.entryCumulative)];
  }

  /** Opens a span record at `startUs` with the service's version and pod filled in. */
  private open(
    service: number,
    parentIndex: number,
    kind: SpanKind,
    name: string,
    startUs: number
  ): SpanRecord {
    if (this.count === this.spans.length) {
      this.spans.push(emptyRecord());
    }
    const span = this.spans[this.count];
    span.index = this.count++;
    span.traceId = this.traceId;
    span.spanId = this.rng.spanId();
    span.parentIndex = parentIndex;
    span.parentSpanId = parentIndex < 0 ? null : this.spans[parentIndex].spanId;
    span.serviceIndex = service;
    span.serviceName = this.model.services[service].name;
    span.serviceVersion = this.cond.versions[service];
    span.hostName = this.cond.hosts[service];
    span.spanName = name;
    span.spanKind = kind;
    span.startUs = Math.round(startUs);
    span.endUs = span.startUs;
    span.status = 'UNSET';
    span.httpMethod = null;
    span.httpRoute = null;
    span.httpStatusCode = null;
    span.operation = -1;
    span.peer = null;
    span.timedOut = false;
    span.timeoutMs = 0;
    span.cause = 'none';
    span.queueWaitUs = 0;
    span.attempt = 1;
    return span;
  }

  /** Whether `service` currently runs the regressed version. */
  private regressed(service: number): boolean {
    return this.cond.regressionActive && service === this.regressionService;
  }

  /** Latency multiplier for a service's own work in the current minute. */
  private latency(service: number): number {
    const stress = this.cond.stress;
    const base = this.cond.latencyFactor * this.cond.slowdown[service];
    return stress === null
      ? base
      : base *
          scaledFactor(stress.perturbations[service]?.latencyFactor, stress.intensity[service]);
  }

  /** Serves operation `opIndex` as a SERVER span starting at `startUs`; returns the span. */
  private serve(opIndex: number, parentIndex: number, startUs: number): SpanRecord {
    const op = this.model.operations[opIndex];
    const service = op.service;
    const rng = this.rng;
    const span = this.open(service, parentIndex, 'SERVER', op.spanName, startUs);
    span.operation = opIndex;
    span.httpMethod = op.method;
    span.httpRoute = op.route;
    let selfUs = rng.logNormal(op.selfMs, op.sigma) * this.latency(service) * 1000;
    const stress = this.cond.stress;
    const perturbation = stress?.perturbations[service];
    if (stress && perturbation?.pauseMs !== undefined) {
      selfUs += rng.logNormal(perturbation.pauseMs * stress.intensity[service], 0.5) * 1000;
    }
    let t = startUs + selfUs * 0.3;
    let status = 200;
    let cause: FailureCause = 'none';

    if (this.regressed(service)) {
      const r = this.regression;
      const waitMs = rng.chance(r.stall.probability)
        ? rng.uniform(r.stall.minMs, r.stall.maxMs)
        : rng.logNormal(r.queue.medianMs * (0.4 + 0.8 * this.cond.load), r.queue.sigma);
      span.queueWaitUs = Math.round(Math.min(waitMs, r.queueDeadlineMs) * 1000);
      t += span.queueWaitUs;
      if (waitMs >= r.queueDeadlineMs) {
        status = 503;
        cause = 'queue';
      }
    }
    if (status === 200 && stress && perturbation?.errorRate !== undefined) {
      if (rng.chance(perturbation.errorRate * stress.intensity[service])) {
        status = perturbation.errorStatus ?? 500;
        cause = 'injected';
      }
    }
    if (status === 200 && op.clientErrorRate > 0 && rng.chance(op.clientErrorRate)) {
      status = op.clientErrorStatus;
      cause = 'client';
    }

    for (let s = 0; s < op.stages.length && status < 400; s++) {
      let stageEnd = t;
      for (const step of op.stages[s]) {
        if (step.probability < 1 && !rng.chance(step.probability)) {
          continue;
        }
        // Parallel calls leave a few tens of microseconds apart, as a runtime schedules them.
        let child = this.step(step, service, span.index, t + rng.uniform(20, 150));
        // Database calls that hit the statement timeout are retried after a short backoff.
        const retries = perturbation?.dbRetries ?? 0;
        while (step.type === 'db' && child.timedOut && child.attempt <= retries) {
          const attempt = child.attempt + 1;
          child = this.step(step, service, span.index, child.endUs + rng.uniform(50e3, 150e3));
          child.attempt = attempt;
        }
        stageEnd = Math.max(stageEnd, child.endUs);
        const code = child.timedOut ? 504 : (child.httpStatusCode ?? 0);
        if (step.type === 'db' && child.timedOut) {
          status = 500;
          cause = 'database';
        } else if (code >= 400 && (step.type !== 'http' || step.critical)) {
          status = step.type === 'external' ? 502 : code;
          cause = step.type === 'external' ? 'external' : 'downstream';
        }
      }
      t = stageEnd;
    }
    if (status === 200 && rng.chance(op.errorRate)) {
      status = 500;
      cause = 'self';
    }

    span.endUs = Math.round(t + selfUs * 0.7);
    span.httpStatusCode = status;
    span.status = status >= 500 ? 'ERROR' : 'UNSET';
    span.cause = cause;
    return span;
  }

  /** Runs one step as a child of span `parentIndex` in `service`; returns the step's span. */
  private step(
    step: CompiledStep,
    service: number,
    parentIndex: number,
    startUs: number
  ): SpanRecord {
    const rng = this.rng;
    switch (step.type) {
      case 'http':
        return this.call(step, service, parentIndex, startUs);
      case 'external': {
        const span = this.open(service, parentIndex, 'CLIENT', step.spanName, startUs);
        span.httpMethod = step.method;
        span.httpRoute = step.route;
        span.peer = step.peer;
        const failed = rng.chance(step.errorRate);
        span.httpStatusCode = failed ? step.errorStatus : 200;
        span.status = failed ? 'ERROR' : 'UNSET';
        // External failures tend to be fast rejections, successes take the full round trip.
        const ms = rng.logNormal(step.medianMs, step.sigma) * (failed ? 0.3 : 1);
        span.endUs = Math.round(startUs + ms * 1000);
        return span;
      }
      case 'db':
      case 'internal': {
        const kind = step.type === 'db' ? 'CLIENT' : 'INTERNAL';
        const span = this.open(service, parentIndex, kind, step.name, startUs);
        const slow = this.regression.slowStep;
        let ms =
          this.regressed(service) && step.name === slow.name
            ? rng.logNormal(slow.medianMs, slow.sigma)
            : rng.logNormal(step.medianMs, step.sigma) * this.latency(service);
        span.status = step.type === 'internal' ? 'OK' : 'UNSET';
        const stress = this.cond.stress;
        const p = stress?.perturbations[service];
        if (step.type === 'db' && stress && p?.dbWaitMs !== undefined) {
          // Lock or connection wait in front of the query, then the statement timeout.
          ms += rng.logNormal(p.dbWaitMs * stress.intensity[service], 0.6);
          const timeoutMs = p.dbTimeoutMs ?? Infinity;
          if (ms > timeoutMs) {
            ms = timeoutMs;
            span.timedOut = true;
            span.timeoutMs = timeoutMs;
            span.status = 'ERROR';
          }
        }
        span.endUs = Math.round(startUs + ms * 1000);
        return span;
      }
    }
  }

  /** An HTTP call: CLIENT span in the caller, SERVER span in the callee, timeout applied. */
  private call(
    step: CompiledHttpStep,
    service: number,
    parentIndex: number,
    startUs: number
  ): SpanRecord {
    const rng = this.rng;
    const target = this.model.operations[step.target];
    const client = this.open(service, parentIndex, 'CLIENT', target.spanName, startUs);
    client.httpMethod = target.method;
    client.httpRoute = target.route;
    client.peer = this.model.services[target.service].name;
    const there = rng.logNormal(NETWORK_HOP_MS, 0.4) * 1000;
    const server = this.serve(step.target, client.index, startUs + there);
    const back = rng.logNormal(NETWORK_HOP_MS, 0.4) * 1000;
    const end = server.endUs + back;
    if (end - startUs > step.timeoutUs) {
      client.endUs = Math.round(startUs + step.timeoutUs);
      client.timedOut = true;
      client.timeoutMs = step.timeoutUs / 1000;
      client.status = 'ERROR';
      client.httpStatusCode = null;
    } else {
      client.endUs = Math.round(end);
      client.httpStatusCode = server.httpStatusCode;
      client.status = (server.httpStatusCode ?? 0) >= 400 ? 'ERROR' : 'UNSET';
    }
    return client;
  }
}
