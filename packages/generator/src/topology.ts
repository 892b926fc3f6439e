/**
 * The simulated system: ten services of a small web shop and the calls between them.
 *
 * Each service exposes HTTP operations. An operation does some work of its own, then runs its
 * steps in stages: steps within a stage run in parallel, stages run one after another. A step is a
 * call to another service's operation (a CLIENT span in the caller plus a SERVER span in the
 * callee), a database call or a call to an external API (a CLIENT span), or internal work (an
 * INTERNAL span). Latencies are log-normal with the given median and shape `sigma`.
 *
 *   frontend -> api-gateway -> auth
 *                           -> catalog
 *                           -> inventory
 *                           -> recommendation -> catalog
 *                           -> cart -> catalog
 *                           -> checkout -> cart, inventory, payment (-> api.stripe.com), shipping
 */

/** One service and the runtime profile behind its metrics. */
export interface ServiceSpec {
  /** `service.name`. */
  readonly name: string;
  /** `service.version` at the start of the data, before any deploy. */
  readonly version: string;
  /** CPU utilisation (0..1) with no traffic. */
  readonly cpuBase: number;
  /** Extra CPU utilisation at peak traffic. */
  readonly cpuPerLoad: number;
  /** Resident memory right after start, in MiB. */
  readonly memoryMb: number;
}

/** A call to another service's operation, named `'<service> <METHOD> <route>'`. */
export interface HttpStep {
  readonly type: 'http';
  readonly target: string;
  /** Probability that the step runs at all (default 1). */
  readonly probability?: number;
  /** Client timeout; the caller gives up and answers 504 after it. */
  readonly timeoutMs?: number;
  /** Whether a failure fails the caller (default true); false for optional widgets. */
  readonly critical?: boolean;
}

/** A database or cache call: a CLIENT span without HTTP attributes. */
export interface DbStep {
  readonly type: 'db';
  readonly name: string;
  readonly medianMs: number;
  readonly sigma: number;
  readonly probability?: number;
}

/** Work inside the service: an INTERNAL span. */
export interface InternalStep {
  readonly type: 'internal';
  readonly name: string;
  readonly medianMs: number;
  readonly sigma: number;
  readonly probability?: number;
}

/** A call to an API outside the system: a CLIENT span with no server span below it. */
export interface ExternalStep {
  readonly type: 'external';
  readonly peer: string;
  readonly method: string;
  readonly route: string;
  readonly medianMs: number;
  readonly sigma: number;
  /** Share of calls that fail with `errorStatus`. */
  readonly errorRate: number;
  readonly errorStatus: number;
}

/** Any step of an operation. */
export type StepSpec = HttpStep | DbStep | InternalStep | ExternalStep;

/** One HTTP endpoint of a service. */
export interface OperationSpec {
  readonly service: string;
  readonly method: 'GET' | 'POST';
  readonly route: string;
  /** Median of the time spent in the service itself, outside its steps. */
  readonly selfMs: number;
  readonly sigma: number;
  /** Stages run in order; the steps of one stage run in parallel. */
  readonly stages: readonly (readonly StepSpec[])[];
  /** Share of requests that fail with a 500 for reasons of their own (background noise). */
  readonly errorRate?: number;
  /** A client error this endpoint sometimes answers, e.g. 404 for an unknown product. */
  readonly clientError?: { readonly rate: number; readonly status: number };
}

/** A root operation and its share of user traffic. */
export interface EntrypointSpec {
  readonly operation: string;
  readonly weight: number;
}

/** The whole simulated system. */
export interface Topology {
  readonly services: readonly ServiceSpec[];
  readonly operations: readonly OperationSpec[];
  readonly entrypoints: readonly EntrypointSpec[];
}

const http = (target: string, extra: Partial<HttpStep> = {}): HttpStep => ({
  type: 'http',
  target,
  ...extra
});
const db = (name: string, medianMs: number, sigma = 0.4): DbStep => ({
  type: 'db',
  name,
  medianMs,
  sigma
});
const work = (name: string, medianMs: number, sigma = 0.35): InternalStep => ({
  type: 'internal',
  name,
  medianMs,
  sigma
});

/**
 * The web shop every dataset is generated from. Exported so that notebooks, docs and tests can list
 * the services and draw the call graph without reading the data.
 */
export const TOPOLOGY: Topology = {
  services: [
    { name: 'frontend', version: '3.1.0', cpuBase: 0.08, cpuPerLoad: 0.42, memoryMb: 410 },
    { name: 'api-gateway', version: '1.12.4', cpuBase: 0.05, cpuPerLoad: 0.3, memoryMb: 96 },
    { name: 'auth', version: '2.0.7', cpuBase: 0.04, cpuPerLoad: 0.22, memoryMb: 180 },
    { name: 'catalog', version: '1.8.2', cpuBase: 0.06, cpuPerLoad: 0.33, memoryMb: 520 },
    { name: 'recommendation', version: '0.9.3', cpuBase: 0.1, cpuPerLoad: 0.45, memoryMb: 1350 },
    { name: 'cart', version: '1.5.0', cpuBase: 0.03, cpuPerLoad: 0.18, memoryMb: 150 },
    { name: 'checkout', version: '2.7.1', cpuBase: 0.04, cpuPerLoad: 0.2, memoryMb: 260 },
    { name: 'payment', version: '2.3.0', cpuBase: 0.05, cpuPerLoad: 0.22, memoryMb: 310 },
    { name: 'inventory', version: '1.3.9', cpuBase: 0.03, cpuPerLoad: 0.16, memoryMb: 200 },
    { name: 'shipping', version: '1.1.2', cpuBase: 0.03, cpuPerLoad: 0.12, memoryMb: 170 }
  ],
  operations: [
    {
      service: 'frontend',
      method: 'GET',
      route: '/',
      selfMs: 6,
      sigma: 0.4,
      stages: [
        [
          http('api-gateway GET /api/products'),
          http('api-gateway GET /api/recommendations', { critical: false, timeoutMs: 800 })
        ],
        [work('render home', 5)]
      ]
    },
    {
      service: 'frontend',
      method: 'GET',
      route: '/product/{id}',
      selfMs: 5,
      sigma: 0.4,
      stages: [
        [
          http('api-gateway GET /api/products/{id}'),
          http('api-gateway GET /api/recommendations', { critical: false, timeoutMs: 800 })
        ],
        [work('render product', 4)]
      ]
    },
    {
      service: 'frontend',
      method: 'GET',
      route: '/cart',
      selfMs: 4,
      sigma: 0.4,
      stages: [[http('api-gateway GET /api/cart')], [work('render cart', 3)]]
    },
    {
      service: 'frontend',
      method: 'POST',
      route: '/cart',
      selfMs: 3,
      sigma: 0.4,
      stages: [[http('api-gateway POST /api/cart/items')]]
    },
    {
      service: 'frontend',
      method: 'POST',
      route: '/checkout',
      selfMs: 4,
      sigma: 0.4,
      stages: [[http('api-gateway POST /api/checkout', { timeoutMs: 15000 })]]
    },
    {
      service: 'frontend',
      method: 'POST',
      route: '/login',
      selfMs: 3,
      sigma: 0.4,
      stages: [[http('api-gateway POST /api/login')]]
    },
    {
      service: 'api-gateway',
      method: 'GET',
      route: '/api/products',
      selfMs: 1.2,
      sigma: 0.3,
      stages: [[http('catalog GET /products')]]
    },
    {
      service: 'api-gateway',
      method: 'GET',
      route: '/api/products/{id}',
      selfMs: 1.2,
      sigma: 0.3,
      stages: [[http('catalog GET /products/{id}'), http('inventory GET /stock/{sku}')]]
    },
    {
      service: 'api-gateway',
      method: 'GET',
      route: '/api/recommendations',
      selfMs: 1.2,
      sigma: 0.3,
      stages: [[http('recommendation GET /recommendations')]]
    },
    {
      service: 'api-gateway',
      method: 'GET',
      route: '/api/cart',
      selfMs: 1.2,
      sigma: 0.3,
      stages: [[http('auth POST /verify')], [http('cart GET /cart')]]
    },
    {
      service: 'api-gateway',
      method: 'POST',
      route: '/api/cart/items',
      selfMs: 1.4,
      sigma: 0.3,
      stages: [[http('auth POST /verify')], [http('cart POST /cart/items')]]
    },
    {
      service: 'api-gateway',
      method: 'POST',
      route: '/api/checkout',
      selfMs: 1.5,
      sigma: 0.3,
      stages: [[http('auth POST /verify')], [http('checkout POST /checkout', { timeoutMs: 10000 })]]
    },
    {
      service: 'api-gateway',
      method: 'POST',
      route: '/api/login',
      selfMs: 1.4,
      sigma: 0.3,
      stages: [[http('auth POST /login')]]
    },
    {
      service: 'auth',
      method: 'POST',
      route: '/verify',
      selfMs: 0.8,
      sigma: 0.3,
      stages: [[db('GET', 0.5, 0.3)]]
    },
    {
      service: 'auth',
      method: 'POST',
      route: '/login',
      selfMs: 2.5,
      sigma: 0.3,
      stages: [[db('SELECT users', 2.2)], [work('bcrypt.compare', 42, 0.12)]],
      clientError: { rate: 0.06, status: 401 }
    },
    {
      service: 'catalog',
      method: 'GET',
      route: '/products',
      selfMs: 2.5,
      sigma: 0.35,
      stages: [[db('SELECT products', 6, 0.5)]]
    },
    {
      service: 'catalog',
      method: 'GET',
      route: '/products/{id}',
      selfMs: 1.8,
      sigma: 0.35,
      stages: [[db('SELECT products', 2.4)]],
      clientError: { rate: 0.01, status: 404 }
    },
    {
      service: 'recommendation',
      method: 'GET',
      route: '/recommendations',
      selfMs: 5,
      sigma: 0.45,
      stages: [
        [work('load user history', 3.5)],
        [http('catalog GET /products')],
        [work('rank candidates', 16, 0.45)]
      ]
    },
    {
      service: 'inventory',
      method: 'GET',
      route: '/stock/{sku}',
      selfMs: 0.9,
      sigma: 0.3,
      stages: [[db('SELECT stock', 1.4)]]
    },
    {
      service: 'inventory',
      method: 'POST',
      route: '/reserve',
      selfMs: 1.6,
      sigma: 0.3,
      stages: [[db('UPDATE stock', 3.8, 0.5)]]
    },
    {
      service: 'cart',
      method: 'GET',
      route: '/cart',
      selfMs: 0.9,
      sigma: 0.3,
      stages: [[db('HGETALL', 0.6, 0.3)]]
    },
    {
      service: 'cart',
      method: 'POST',
      route: '/cart/items',
      selfMs: 1.5,
      sigma: 0.3,
      stages: [[http('catalog GET /products/{id}')], [db('HSET', 0.7, 0.3)]]
    },
    {
      service: 'checkout',
      method: 'POST',
      route: '/checkout',
      selfMs: 5,
      sigma: 0.35,
      stages: [
        [http('cart GET /cart')],
        [http('inventory POST /reserve')],
        // The timeout that turns the payment regression into checkout errors.
        [http('payment POST /charge', { timeoutMs: 2000 })],
        [http('shipping POST /shipments')],
        [db('INSERT orders', 4.5)]
      ]
    },
    {
      service: 'payment',
      method: 'POST',
      route: '/charge',
      selfMs: 3.5,
      sigma: 0.3,
      stages: [
        [work('fraud-check', 14)],
        [db('SELECT payment_methods', 2.8)],
        [
          {
            type: 'external',
            peer: 'api.stripe.com',
            method: 'POST',
            route: '/v1/charges',
            medianMs: 105,
            sigma: 0.3,
            errorRate: 0.003,
            errorStatus: 503
          }
        ],
        [db('INSERT payments', 3.6)]
      ]
    },
    {
      service: 'shipping',
      method: 'POST',
      route: '/shipments',
      selfMs: 2.5,
      sigma: 0.3,
      stages: [[work('quote rates', 11, 0.4)], [db('INSERT shipments', 3.5)]]
    }
  ],
  entrypoints: [
    { operation: 'frontend GET /', weight: 28 },
    { operation: 'frontend GET /product/{id}', weight: 30 },
    { operation: 'frontend GET /cart', weight: 8 },
    { operation: 'frontend POST /cart', weight: 10 },
    { operation: 'frontend POST /checkout', weight: 16 },
    { operation: 'frontend POST /login', weight: 8 }
  ]
};

/** Background rate of unexplained 500s for operations that do not set their own. */
export const DEFAULT_ERROR_RATE = 0.0006;

/** The key other steps use to name an operation: `'<service> <METHOD> <route>'`. */
export function operationKey(op: OperationSpec): string {
  return `${op.service} ${op.method} ${op.route}`;
}
