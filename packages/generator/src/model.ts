/**
 * The topology compiled for the hot loop: names resolved to array indices, defaults filled in,
 * timeouts in microseconds, and the call graph checked for unknown targets and cycles (a cycle would
 * make trace generation recurse forever).
 */
import { DEFAULT_ERROR_RATE, operationKey, ServiceSpec, Topology } from './topology';

/** A call to another operation, by index. */
export interface CompiledHttpStep {
  readonly type: 'http';
  readonly target: number;
  readonly probability: number;
  /** `Infinity` when the caller waits forever. */
  readonly timeoutUs: number;
  readonly critical: boolean;
}

/** Database, cache or internal work: a single leaf span. */
export interface CompiledLeafStep {
  readonly type: 'db' | 'internal';
  readonly name: string;
  readonly medianMs: number;
  readonly sigma: number;
  readonly probability: number;
}

/** A call out of the system: a leaf CLIENT span with HTTP attributes. */
export interface CompiledExternalStep {
  readonly type: 'external';
  readonly peer: string;
  readonly spanName: string;
  readonly method: string;
  readonly route: string;
  readonly medianMs: number;
  readonly sigma: number;
  readonly probability: number;
  readonly errorRate: number;
  readonly errorStatus: number;
}

/** Any compiled step. */
export type CompiledStep = CompiledHttpStep | CompiledLeafStep | CompiledExternalStep;

/** One operation with its service as an index. */
export interface CompiledOperation {
  readonly service: number;
  readonly spanName: string;
  readonly method: string;
  readonly route: string;
  readonly selfMs: number;
  readonly sigma: number;
  readonly stages: readonly (readonly CompiledStep[])[];
  readonly errorRate: number;
  readonly clientErrorRate: number;
  readonly clientErrorStatus: number;
}

/** The compiled system the trace builder walks. */
export interface CompiledModel {
  readonly services: readonly ServiceSpec[];
  readonly operations: readonly CompiledOperation[];
  /** Operation index of each entrypoint. */
  readonly entrypoints: readonly number[];
  /** Running totals of entrypoint weights, for `Random.pickCumulative`. */
  readonly entryCumulative: readonly number[];
  /** Service index by name. */
  serviceIndex(name: string): number;
}

/**
 * Resolves a topology into indices and checks it; throws naming the bad operation if a call
 * targets an unknown operation or services call each other in a cycle.
 */
export function compileTopology(topology: Topology): CompiledModel {
  const serviceByName = new Map(topology.services.map((s, i) => [s.name, i]));
  const opByKey = new Map(topology.operations.map((op, i) => [operationKey(op), i]));
  const serviceIndex = (name: string): number => {
    const index = serviceByName.get(name);
    if (index === undefined) {
      throw new Error(`Topology: unknown service '${name}'; add it to TOPOLOGY.services.`);
    }
    return index;
  };
  const operations = topology.operations.map((op): CompiledOperation => {
    const where = operationKey(op);
    const stages = op.stages.map(stage =>
      stage.map((step): CompiledStep => {
        switch (step.type) {
          case 'http': {
            const target = opByKey.get(step.target);
            if (target === undefined) {
              throw new Error(
                `Topology: '${where}' calls unknown operation '${step.target}'; ` +
                  "name it as '<service> <METHOD> <route>' of an entry in TOPOLOGY.operations."
              );
            }
            return {
              type: 'http',
              target,
              probability: step.probability ?? 1,
              timeoutUs: step.timeoutMs === undefined ? Infinity : step.timeoutMs * 1000,
              critical: step.critical ?? true
            };
          }
          case 'external':
            return {
              ...step,
              spanName: `${step.method} ${step.route}`,
              probability: 1
            };
          default:
            return { ...step, probability: step.probability ?? 1 };
        }
      })
    );
    return {
      service: serviceIndex(op.service),
      spanName: `${op.method} ${op.route}`,
      method: op.method,
      route: op.route,
      selfMs: op.selfMs,
      sigma: op.sigma,
      stages,
      errorRate: op.errorRate ?? DEFAULT_ERROR_RATE,
      clientErrorRate: op.clientError?.rate ?? 0,
      clientErrorStatus: op.clientError?.status ?? 0
    };
  });
  checkAcyclic(operations, topology);
  const entrypoints = topology.entrypoints.map(e => {
    const index = opByKey.get(e.operation);
    if (index === undefined) {
      throw new Error(`Topology: entrypoint '${e.operation}' is not an operation.`);
    }
    return index;
  });
  let total = 0;
  const entryCumulative = topology.entrypoints.map(e => (total += e.weight));
  return {
    services: topology.services,
    operations,
    entrypoints,
    entryCumulative,
    serviceIndex
  };
}

/** Throws if following HTTP calls from some operation can lead back to it. */
function checkAcyclic(operations: readonly CompiledOperation[], topology: Topology): void {
  // 0 = unvisited, 1 = on the current path, 2 = done.
  const state = new Uint8Array(operations.length);
  const visit = (i: number): void => {
    if (state[i] === 2) {
      return;
    }
    if (state[i] === 1) {
      throw new Error(
        `Topology: a call cycle passes through '${operationKey(topology.operations[i])}'.`
      );
    }
    state[i] = 1;
    for (const stage of operations[i].stages) {
      for (const step of stage) {
        if (step.type === 'http') {
          visit(step.target);
        }
      }
    }
    state[i] = 2;
  };
  operations.forEach((_, i) => visit(i));
}
