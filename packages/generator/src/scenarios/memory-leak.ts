/**
 * `memory-leak`: checkout keeps every quote in a cache that is never evicted. Its memory grows
 * linearly, garbage collection runs longer and more often (GC warnings, CPU, latency), until the
 * pod is OOM-killed and restarted, which ends the incident.
 */
import { Scenario } from './types';

/** Heap limit of checkout; the leak reaches it at the end of the window. */
const CHECKOUT_LIMIT_MB = 1536;

/** Checkout leaks memory over the window and is OOM-killed at its end. */
export const MEMORY_LEAK: Scenario = {
  name: 'memory-leak',
  id: 'checkout-quote-cache-leak',
  title: 'Checkout memory leak ending in an OOM kill',
  rootCauseService: 'checkout',
  rootCauseKind: 'resource-leak',
  window: { from: 0.45, to: 0.75 },
  affectedServices: ['checkout', 'api-gateway', 'frontend'],
  symptoms: [
    'metrics: checkout process.memory.usage grows linearly over the window to its 1.5 GiB limit, ' +
      'then drops back after the restart (new host_name)',
    'metrics: checkout process.cpu.utilization and http.server.request.duration.p99 rise with it',
    "logs: checkout WARN 'GC pause' lines, more and longer as memory grows",
    'spans: checkout SERVER latency rises gradually (GC pauses of several hundred ms at the end); ' +
      'api-gateway and frontend POST checkout inherit it',
    'events: CheckoutMemoryHigh alert, then a restart of checkout (OOMKilled) at the end'
  ],
  description:
    'checkout cached every shipping quote without eviction. Memory grew linearly and garbage ' +
    'collection took ever more CPU and time, so checkouts got slower and slower until the pod hit ' +
    'its memory limit, was OOM-killed and restarted with an empty heap.',
  changes: [
    {
      kind: 'restart',
      service: 'checkout',
      at: 'end',
      change: 'OOMKilled: container exceeded its memory limit of 1536Mi'
    }
  ],
  alerts: [
    {
      rule: 'CheckoutMemoryHigh',
      service: 'checkout',
      severity: 'warning',
      summary: 'checkout memory above 80% of its limit for 5 minutes',
      // The ramp crosses 80% of the limit about three quarters into the window.
      firesAfterMin: 0,
      firesAtFraction: 0.78,
      resolvesAfterMin: 1,
      condition: { metric: 'process.memory.usage', threshold_ratio: 0.8, for: '5m' }
    }
  ],
  perturbations: [
    {
      service: 'checkout',
      shape: 'ramp',
      pauseMs: 400,
      cpu: 0.35,
      memoryMb: CHECKOUT_LIMIT_MB - 330,
      log: {
        severity: 'WARN',
        probability: 0.5,
        body: (k, rng) =>
          `GC pause (G1 Evacuation Pause) pause_ms=${Math.round(20 + 400 * k * rng.uniform(0.5, 1.5))} ` +
          `heap_used_mb=${Math.round(330 + (CHECKOUT_LIMIT_MB - 330) * k)} heap_max_mb=${CHECKOUT_LIMIT_MB}`
      }
    }
  ]
};
