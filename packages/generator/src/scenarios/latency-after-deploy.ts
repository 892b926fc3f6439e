/**
 * `latency-after-deploy`: catalog 1.9.0 drops an index hint, so every product query and the
 * service's own work get about 4x slower; api-gateway, recommendation, cart and frontend inherit
 * the latency. Rolling back ends it.
 */
import { Scenario } from './types';

/** Catalog 1.9.0 is slow from its deploy to its rollback. */
export const LATENCY_AFTER_DEPLOY: Scenario = {
  name: 'latency-after-deploy',
  id: 'catalog-1.9.0-latency-regression',
  title: 'Slow product pages after catalog 1.9.0 deploy',
  rootCauseService: 'catalog',
  rootCauseKind: 'deploy',
  window: { from: 0.6, to: 0.72 },
  affectedServices: ['catalog', 'api-gateway', 'recommendation', 'cart', 'frontend'],
  symptoms: [
    "spans: catalog SERVER p95 latency rises about 4x right after the deploy; 'SELECT products' " +
      'CLIENT spans are as much slower',
    'spans: api-gateway, recommendation, cart and frontend get slower by the same absolute amount ' +
      '(a smaller ratio): they inherit the latency',
    'metrics: catalog http.server.request.duration.p99 about 4x; CPU unchanged',
    'events: deploy of catalog 1.9.0 at the start, CatalogLatencyHigh alert, rollback to 1.8.2 at ' +
      'the end'
  ],
  description:
    'catalog 1.9.0 rewrote the product queries and lost an index hint, so every query and the ' +
    "service's own work became about 4x slower. No errors: callers simply waited longer. Rolling " +
    'catalog back to 1.8.2 ended it.',
  changes: [
    {
      kind: 'deploy',
      service: 'catalog',
      at: 'start',
      version: '1.9.0',
      change: 'rewrite product queries with the new ORM'
    },
    {
      kind: 'rollback',
      service: 'catalog',
      at: 'end',
      version: '1.8.2',
      change: 'roll back to the last good release'
    }
  ],
  alerts: [
    {
      rule: 'CatalogLatencyHigh',
      service: 'catalog',
      severity: 'warning',
      summary: 'catalog p99 latency above 60 ms for 3 minutes',
      firesAfterMin: 4,
      resolvesAfterMin: 3,
      condition: { metric: 'http.server.request.duration.p99', threshold_ms: 60, for: '3m' }
    }
  ],
  perturbations: [{ service: 'catalog', latencyFactor: 4 }]
};
