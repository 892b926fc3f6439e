/**
 * @opsbook/generator: seeded, deterministic synthetic telemetry (spans, logs, metrics, events as
 * Parquet, in the canonical tables of @opsbook/telemetry-schema) for a small web shop, with one
 * injected incident from a library of scenarios and its ground truth.
 */
export { generateTelemetry, GENERATOR_DEFAULTS } from './generate';
export type { GeneratedFile, GenerationSummary, GeneratorOptions, OutputFormat } from './generate';
export { OTLP_FILES } from './otlp-json';
export { TOPOLOGY } from './topology';
export type { EntrypointSpec, OperationSpec, ServiceSpec, StepSpec, Topology } from './topology';
export type { IncidentTruth } from './scenario';
export { DEFAULT_SCENARIO, findScenario, SCENARIOS, scenarioNames } from './scenarios';
export type {
  ExtraSeries,
  GroundTruth,
  Perturbation,
  PerturbationLog,
  RootCauseKind,
  Scenario,
  ScenarioChange
} from './scenarios';
export {
  DEPLOYMENT_ENVIRONMENT,
  EVENTS_TABLE,
  GROUND_TRUTH_FILE,
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
