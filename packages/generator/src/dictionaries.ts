/**
 * Dictionaries for the low-cardinality string columns of spans and logs.
 *
 * A span row repeats its service, version, pod, name, kind, method and route: a few dozen distinct
 * combinations over millions of rows. The work tables store a small integer per row instead, and
 * the COPY query joins the dictionaries back in; that turns seven string appends per span into two
 * integers. Lookups hit a one-entry-per-key cache compared by `===`, which is fast because rows
 * reuse the same string objects from the topology and timeline.
 */
import { SpanKind } from './schema';

/** A (service, version, pod) triple: an OpenTelemetry resource. */
export interface ResourceEntry {
  readonly id: number;
  readonly serviceName: string;
  readonly serviceVersion: string;
  readonly hostName: string;
}

/** A (span name, kind, method, route) combination. */
export interface OperationEntry {
  readonly id: number;
  readonly spanName: string;
  readonly spanKind: SpanKind;
  readonly httpMethod: string | null;
  readonly httpRoute: string | null;
}

/** Assigns dense ids to resources, in order of first use (so ids are deterministic). */
export class ResourceDictionary {
  /** Every resource, indexed by id. */
  readonly entries: ResourceEntry[] = [];
  private readonly byKey = new Map<string, ResourceEntry>();
  private readonly lastByHost = new Map<string, ResourceEntry>();

  /** Returns the id of a resource, adding it if new. */
  id(serviceName: string, serviceVersion: string, hostName: string): number {
    const hit = this.lastByHost.get(hostName);
    if (
      hit !== undefined &&
      hit.serviceName === serviceName &&
      hit.serviceVersion === serviceVersion
    ) {
      return hit.id;
    }
    const key = `${serviceName}\u0000${serviceVersion}\u0000${hostName}`;
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      entry = { id: this.entries.length, serviceName, serviceVersion, hostName };
      this.entries.push(entry);
      this.byKey.set(key, entry);
    }
    this.lastByHost.set(hostName, entry);
    return entry.id;
  }
}

/** Assigns dense ids to operations, in order of first use. */
export class OperationDictionary {
  /** Every operation, indexed by id. */
  readonly entries: OperationEntry[] = [];
  private readonly byKey = new Map<string, OperationEntry>();
  private readonly lastByName: Record<SpanKind, Map<string, OperationEntry>> = {
    SERVER: new Map(),
    CLIENT: new Map(),
    INTERNAL: new Map()
  };

  /** Returns the id of an operation, adding it if new. */
  id(
    spanName: string,
    spanKind: SpanKind,
    httpMethod: string | null,
    httpRoute: string | null
  ): number {
    const cache = this.lastByName[spanKind];
    const hit = cache.get(spanName);
    if (hit !== undefined && hit.httpMethod === httpMethod && hit.httpRoute === httpRoute) {
      return hit.id;
    }
    const key = `${spanName}\u0000${spanKind}\u0000${httpMethod}\u0000${httpRoute}`;
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      entry = { id: this.entries.length, spanName, spanKind, httpMethod, httpRoute };
      this.entries.push(entry);
      this.byKey.set(key, entry);
    }
    cache.set(spanName, entry);
    return entry.id;
  }
}
