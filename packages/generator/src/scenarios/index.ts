/** The scenario library (see types.ts for the abstraction, registry.ts for the names). */
export { DEFAULT_SCENARIO, findScenario, SCENARIOS, scenarioNames } from './registry';
export { scaledFactor } from './types';
export type {
  ExtraSeries,
  GroundTruth,
  Perturbation,
  PerturbationLog,
  RootCauseKind,
  Scenario,
  ScenarioChange,
  Stress
} from './types';
