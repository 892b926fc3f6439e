/**
 * The scenario library: every scenario by name, the default, and the lookup that turns a name
 * from the API or the command line into a scenario (or an error listing the names).
 */
import { CASCADING_FAILURE } from './cascading-failure';
import { ERROR_BURST } from './error-burst';
import { LATENCY_AFTER_DEPLOY } from './latency-after-deploy';
import { MEMORY_LEAK } from './memory-leak';
import { NOISY_NEIGHBOUR } from './noisy-neighbour';
import { PAYMENT_REGRESSION_SCENARIO } from './payment-regression';
import { Scenario } from './types';

/** Every scenario, the default first. */
export const SCENARIOS: readonly Scenario[] = [
  PAYMENT_REGRESSION_SCENARIO,
  LATENCY_AFTER_DEPLOY,
  ERROR_BURST,
  MEMORY_LEAK,
  NOISY_NEIGHBOUR,
  CASCADING_FAILURE
];

/** The scenario generated when none is named. */
export const DEFAULT_SCENARIO = PAYMENT_REGRESSION_SCENARIO.name;

/** The names users can pass, in library order. */
export function scenarioNames(): string[] {
  return SCENARIOS.map(s => s.name);
}

/** The scenario called `name`; throws an error listing the names if there is none. */
export function findScenario(name: string): Scenario {
  const scenario = SCENARIOS.find(s => s.name === name);
  if (scenario === undefined) {
    throw new Error(
      `Unknown scenario ${JSON.stringify(name)}: use one of ${scenarioNames().join(', ')}.`
    );
  }
  return scenario;
}
