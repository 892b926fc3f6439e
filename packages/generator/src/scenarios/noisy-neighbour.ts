/**
 * `noisy-neighbour`: services run as processes on a few shared VMs. recommendation's nightly
 * re-indexing starts early and saturates the CPU of vm-shop-03, which inventory shares; inventory
 * gets about 5x slower without any change of its own. The alert is about inventory, the root
 * cause is recommendation: only `host_name` connects the two.
 */
import { Scenario } from './types';

/** The shared VM. */
export const NOISY_HOST = 'vm-shop-03';

/** recommendation saturates the CPU of the VM it shares with inventory. */
export const NOISY_NEIGHBOUR: Scenario = {
  name: 'noisy-neighbour',
  id: 'recommendation-reindex-cpu-contention',
  title: 'Slow inventory on a VM saturated by recommendation',
  rootCauseService: 'recommendation',
  rootCauseKind: 'noisy-neighbour',
  window: { from: 0.6, to: 0.7 },
  affectedServices: ['recommendation', 'inventory', 'api-gateway', 'checkout', 'frontend'],
  symptoms: [
    `metrics: recommendation process.cpu.utilization near 1 on host ${NOISY_HOST}; ` +
      'inventory, on the same host, shows no CPU rise of its own',
    'spans: inventory SERVER p95 latency about 5x, with no deploy and no errors; callers inherit it',
    "logs: recommendation INFO 're-index batch' progress lines during the window",
    'events: InventoryLatencyHigh alert (the symptom, not the cause); no deploys in the window'
  ],
  description:
    "recommendation's re-indexing job started hours early and used every core of vm-shop-03. " +
    'inventory runs on the same VM and was starved of CPU, so its requests took about five times ' +
    'longer and product pages and checkouts slowed down. The job finished and inventory recovered.',
  changes: [],
  alerts: [
    {
      rule: 'InventoryLatencyHigh',
      service: 'inventory',
      severity: 'warning',
      summary: 'inventory p99 latency above 20 ms for 3 minutes',
      firesAfterMin: 3,
      resolvesAfterMin: 2,
      condition: { metric: 'http.server.request.duration.p99', threshold_ms: 20, for: '3m' }
    }
  ],
  perturbations: [
    {
      service: 'recommendation',
      cpu: 0.9,
      latencyFactor: 1.2,
      log: {
        severity: 'INFO',
        probability: 0.3,
        body: (_k, rng) =>
          `re-index batch done items=${500 + rng.int(500)} index=ranking-v12 threads=8`
      }
    },
    { service: 'inventory', latencyFactor: 5 }
  ],
  hosts: {
    frontend: 'vm-shop-01',
    'api-gateway': 'vm-shop-01',
    auth: 'vm-shop-02',
    catalog: 'vm-shop-02',
    recommendation: NOISY_HOST,
    inventory: NOISY_HOST,
    cart: 'vm-shop-04',
    checkout: 'vm-shop-04',
    payment: 'vm-shop-05',
    shipping: 'vm-shop-05'
  }
};
