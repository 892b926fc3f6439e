/**
 * `error-burst`: inventory's connection pool is exhausted for a short while and it answers 503 to
 * about half of its requests; api-gateway (product pages) and checkout pass the errors on. An
 * error-rate alert fires; the burst ends on its own.
 */
import { Scenario } from './types';

/** Inventory fails fast with 503 for a short window. */
export const ERROR_BURST: Scenario = {
  name: 'error-burst',
  id: 'inventory-connection-pool-exhaustion',
  title: 'Burst of 503s from inventory',
  rootCauseService: 'inventory',
  rootCauseKind: 'errors',
  window: { from: 0.62, to: 0.67 },
  affectedServices: ['inventory', 'api-gateway', 'checkout', 'frontend'],
  symptoms: [
    'spans: inventory SERVER spans answer 503 (status ERROR) for about half of the requests, ' +
      'fast; error rate above 20% only in the window',
    'spans: api-gateway GET /api/products/{id}, checkout and frontend return 503 for those requests',
    "logs: inventory ERROR 'connection pool exhausted'; callers log the failed calls",
    'metrics: inventory http.server.errors up, latency not',
    'events: InventoryErrorRateHigh alert fires and resolves'
  ],
  description:
    "inventory's database connection pool was exhausted by a burst of stock reservations; for a " +
    'few minutes it rejected about half of its requests with 503. Product pages and checkouts ' +
    'that needed stock data failed. The pool recovered on its own.',
  changes: [],
  alerts: [
    {
      rule: 'InventoryErrorRateHigh',
      service: 'inventory',
      severity: 'critical',
      summary: 'inventory 5xx ratio above 10% for 2 minutes',
      firesAfterMin: 2,
      resolvesAfterMin: 2,
      condition: { metric: 'http.server.errors / http.server.requests', threshold: 0.1, for: '2m' }
    }
  ],
  perturbations: [
    {
      service: 'inventory',
      errorRate: 0.5,
      errorStatus: 503,
      errorMessage: 'connection pool exhausted: 0 of 20 connections available, waited 50ms'
    }
  ]
};
