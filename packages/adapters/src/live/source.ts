/**
 * `PulledSource`: what a live pull hands to `Catalog.ingest({ dataset, adapter, input, source })`.
 * The answer is kept as bytes and mapped by an ordinary adapter, so a pulled slice goes through
 * exactly the same row accounting, quarantine and deduplication as an uploaded file; `source`
 * records the exact request as the snapshot's lineage.
 */
import { ByteInput } from '../bytes';
import { Adapter } from '../ingest';

/** What was pulled, for people and for the UI. */
export interface PulledSourceDescription {
  /** The kind of server. */
  system: 'prometheus' | 'alertmanager';
  /** The server base URL, as normalised. */
  baseUrl: string;
  /** The URL requested (without the form body or headers). */
  url: string;
  /** The request parameters exactly as sent (never the headers). */
  parameters: Record<string, string | string[]>;
  /** When the answer arrived (ISO-8601, UTC). */
  pulledAt: string;
  /** Milliseconds the exchange took. */
  durationMs: number;
  /** Bytes of the answer. */
  bytes: number;
  /** Series in the answer (Prometheus). */
  series?: number;
  /** Samples in the answer (Prometheus). */
  samples?: number;
  /** Alerts in the answer (Alertmanager). */
  alerts?: number;
  /** Warnings of the server (Prometheus `warnings`) and of the pull itself. */
  warnings: string[];
  /** One line for people, e.g. `3 series, 180 samples from Prometheus at http://...`. */
  summary: string;
}

/** A bounded slice pulled from a live system, ready for `Catalog.ingest`. */
export interface PulledSource {
  /** The adapter that maps `input` into canonical rows. */
  adapter: Adapter;
  /** The bytes to map. */
  input: ByteInput;
  /**
   * The lineage: system, server and the exact query, e.g.
   * `prometheus:http://host:9090 query_range query="up" start=... end=... step=15s`.
   */
  source: string;
  /** What was pulled. */
  description: PulledSourceDescription;
}
