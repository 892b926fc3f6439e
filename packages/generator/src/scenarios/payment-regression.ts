/**
 * `payment-regression`, the default: payment 2.4.0 ships with the fraud-model cache disabled.
 * Its deploy, rollback, alerts and ground truth go through the scenario mechanism; the behaviour
 * of the bad version keeps its own model (`Regression`: queueing, stalls, fraud-check logs), which
 * the default output depends on byte for byte.
 */
import {
  AFFECTED_SERVICES,
  INCIDENT_ALERTS,
  INCIDENT_DESCRIPTION,
  INCIDENT_SYMPTOMS,
  INCIDENT_WINDOW,
  PAYMENT_REGRESSION
} from '../scenario';
import { Scenario } from './types';

/** The built-in payment incident, 14:00-16:00 of the default day. */
export const PAYMENT_REGRESSION_SCENARIO: Scenario = {
  name: 'payment-regression',
  id: 'payment-2.4.0-fraud-cache-regression',
  title: 'Checkout failures after payment 2.4.0 deploy',
  rootCauseService: PAYMENT_REGRESSION.service,
  rootCauseKind: 'deploy',
  window: { from: INCIDENT_WINDOW.deployAt, to: INCIDENT_WINDOW.rollbackAt },
  affectedServices: AFFECTED_SERVICES,
  symptoms: INCIDENT_SYMPTOMS,
  description: INCIDENT_DESCRIPTION,
  changes: [
    {
      kind: 'deploy',
      service: PAYMENT_REGRESSION.service,
      at: 'start',
      version: PAYMENT_REGRESSION.badVersion,
      change: 'upgrade fraud-scoring client library; refresh configuration defaults'
    },
    {
      kind: 'rollback',
      service: PAYMENT_REGRESSION.service,
      at: 'end',
      version: PAYMENT_REGRESSION.goodVersion,
      change: 'roll back to the last good release'
    }
  ],
  alerts: INCIDENT_ALERTS,
  perturbations: [],
  regression: PAYMENT_REGRESSION
};
