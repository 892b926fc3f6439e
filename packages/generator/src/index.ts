/**
 * @opsbook/generator: seeded, deterministic synthetic telemetry (spans, logs, metrics, events as
 * Parquet, in the canonical tables of @opsbook/telemetry-schema) for a small web shop, with one
 * injected incident and its ground truth.
 */
export { generateTelemetry, GENERATOR_DEFAULTS } from './generate';
export type { GeneratedFile, GenerationSummary, GeneratorOptions, OutputFormat } from './generate';
export { OTLP_FILES } from './otlp-json';
export { TOPOLOGY } from './topology';
export type { EntrypointSpec, OperationSpec, ServiceSpec, StepSpec, Topology } from './topology';
export type { IncidentTruth } from './scenario';
export {
  DEPLOYMENT_ENVIRONMENT,
  EVENTS_TABLE,
  INCIDENT_FILE,
  LOGS_TABLE,
  METRICS_TABLE,
  SEVERITY_NUMBER,
  SPANS_TABLE,
  TELEMETRY_TABLES
} from './schema';
export type { TableSpec } from './schema';
export { METRIC_SPECS } from './metrics';
export { Random } from './random';
