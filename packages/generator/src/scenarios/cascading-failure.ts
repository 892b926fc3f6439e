/**
 * `cascading-failure`: the orders database (Postgres) behind inventory, checkout, payment and
 * shipping stalls on lock contention. Queries wait, hit the 1000 ms statement timeout and are
 * retried; the services answer 500, payment gets too slow for checkout's 2000 ms timeout, and the
 * errors climb through checkout and api-gateway to the frontend.
 */
import { Perturbation, Scenario } from './types';

/** The database: not a service in the traces, but it has metrics of its own. */
export const ORDERS_DB = 'orders-db';

/** The services whose database calls go to the orders database. */
const CLIENTS = ['inventory', 'checkout', 'payment', 'shipping'];

const dbStall = (service: string): Perturbation => ({
  service,
  dbWaitMs: 700,
  dbTimeoutMs: 1000,
  dbRetries: 1,
  database: ORDERS_DB
});

/** The orders database stalls and the failures cascade upstream. */
export const CASCADING_FAILURE: Scenario = {
  name: 'cascading-failure',
  id: 'orders-db-lock-contention-cascade',
  title: 'Checkout and product errors from a stalled orders database',
  rootCauseService: ORDERS_DB,
  rootCauseKind: 'dependency',
  window: { from: 0.6, to: 0.7 },
  affectedServices: [ORDERS_DB, ...CLIENTS, 'api-gateway', 'frontend'],
  symptoms: [
    'spans: database CLIENT spans (no http.route) of inventory, checkout, payment and shipping ' +
      'all slow down at the same minute and end at the 1000 ms statement timeout (ERROR), with a ' +
      'retry span after each',
    'spans: those services answer 500; checkout CLIENT spans to payment time out at 2000 ms; ' +
      'api-gateway and frontend return the errors',
    "logs: 'statement timeout' WARN lines naming orders-db in four services, then ERROR lines",
    `metrics: ${ORDERS_DB} db.server.active_connections at its limit and db.server.lock_wait ` +
      'up; the services show errors but no CPU rise',
    'events: CheckoutErrorRateHigh and OrdersDbConnectionsSaturated alerts; no deploys'
  ],
  description:
    'A long-running migration on the orders database held locks on the stock and orders tables. ' +
    'Queries from inventory, checkout, payment and shipping queued behind it, hit the 1000 ms ' +
    'statement timeout and were retried, which filled the connection pool. The services answered ' +
    "500, payment became too slow for checkout's 2000 ms timeout, and errors spread up to the " +
    'frontend. Killing the migration ended it.',
  changes: [],
  alerts: [
    {
      rule: 'OrdersDbConnectionsSaturated',
      service: ORDERS_DB,
      severity: 'critical',
      summary: 'orders-db active connections above 90% of max_connections for 2 minutes',
      firesAfterMin: 2,
      resolvesAfterMin: 2,
      condition: { metric: 'db.server.active_connections', threshold: 180, for: '2m' }
    },
    {
      rule: 'CheckoutErrorRateHigh',
      service: 'checkout',
      severity: 'critical',
      summary: 'checkout 5xx ratio above 5% for 5 minutes',
      firesAfterMin: 5,
      resolvesAfterMin: 5,
      condition: { metric: 'http.server.errors / http.server.requests', threshold: 0.05, for: '5m' }
    }
  ],
  perturbations: CLIENTS.map(dbStall),
  extraSeries: [
    {
      service: ORDERS_DB,
      host: `${ORDERS_DB}-0`,
      metric: 'db.server.active_connections',
      type: 'gauge',
      unit: '{connection}',
      value: (k, load, rng) =>
        Math.min(200, Math.round(8 + 30 * load + 200 * k + 3 * Math.abs(rng.normal())))
    },
    {
      service: ORDERS_DB,
      host: `${ORDERS_DB}-0`,
      metric: 'db.server.lock_wait',
      type: 'gauge',
      unit: 'ms',
      value: (k, _load, rng) => Math.round((2 + 900 * k) * Math.exp(0.2 * rng.normal()) * 10) / 10
    }
  ]
};
