/**
 * All ingest limits in one typed defaults object, each with why. Every adapter takes a partial
 * override in its options; memory use is bounded by these, not by the input size.
 */

/** The limits of one ingest. */
export interface IngestLimits {
  /** Longest line of a line-oriented format; longer lines are quarantined or rejected. */
  maxLineBytes: number;
  /**
   * Largest single record kept in memory: one `resourceSpans[]`/`resourceLogs[]`/
   * `resourceMetrics[]` entry of OTLP/JSON, one Prometheus result series, one webhook payload, one
   * multi-line log record or CSV row. Bounds memory for documents of any size.
   */
  maxRecordBytes: number;
  /**
   * Largest length-delimited message (one OTLP export request) of a binary protobuf stream. Only
   * one resource entry of it is in memory at a time (`maxRecordBytes`), so this is a sanity bound
   * on the framing: a larger length means the input is not length-delimited OTLP.
   */
  maxMessageBytes: number;
  /**
   * Largest file buffered whole because its format needs random access (Parquet given as a byte
   * stream rather than a random-access file). Bounds memory; pass a random-access file above it.
   */
  maxBufferedFileBytes: number;
  /** Cap on the decompressed size of gzip input, against decompression bombs. */
  maxDecompressedBytes: number;
  /** Rows per emitted record batch: large enough for columnar speed, small enough for memory. */
  batchRows: number;
  /** Quarantined records kept in the report (all are counted and passed to `onQuarantine`). */
  maxQuarantineSamples: number;
  /** Bytes of a quarantined record's raw text kept for the report. */
  maxQuarantineRawBytes: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: IngestLimits = {
  // Real log lines are < 64 KiB; 1 MiB leaves room for big JSON log lines.
  maxLineBytes: 1024 * 1024,
  // OTLP exporters batch ~512 spans per request: a few MiB; 64 MiB is generous.
  maxRecordBytes: 64 * 1024 * 1024,
  // gRPC receivers default to 4 MiB per request; collectors are configured up to a few hundred.
  maxMessageBytes: 1024 * 1024 * 1024,
  // A few hundred MB fit in a browser tab's heap next to the row batches.
  maxBufferedFileBytes: 512 * 1024 * 1024,
  // 4 GiB decompressed is larger than any single telemetry file we expect to load interactively.
  maxDecompressedBytes: 4 * 1024 * 1024 * 1024,
  batchRows: 8192,
  maxQuarantineSamples: 1000,
  maxQuarantineRawBytes: 1024
};
