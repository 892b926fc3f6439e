import { compileTopology } from '../src/model';
import { Topology, TOPOLOGY } from '../src/topology';

describe('compileTopology', () => {
  it('compiles the shop with every call resolved to an operation of a known service', () => {
    const model = compileTopology(TOPOLOGY);
    expect(model.services.length).toBeGreaterThanOrEqual(8);
    expect(model.operations).toHaveLength(TOPOLOGY.operations.length);
    for (const op of model.operations) {
      for (const step of op.stages.flat()) {
        if (step.type === 'http') {
          expect(model.operations[step.target]).toBeDefined();
        }
      }
    }
    expect(model.entryCumulative[model.entryCumulative.length - 1]).toBe(
      TOPOLOGY.entrypoints.reduce((s, e) => s + e.weight, 0)
    );
  });

  it('names the operation that calls an unknown target', () => {
    const broken: Topology = {
      ...TOPOLOGY,
      operations: [
        ...TOPOLOGY.operations,
        {
          service: 'cart',
          method: 'GET',
          route: '/broken',
          selfMs: 1,
          sigma: 0.1,
          stages: [[{ type: 'http', target: 'cart GET /nowhere' }]]
        }
      ]
    };
    expect(() => compileTopology(broken)).toThrow(
      "Topology: 'cart GET /broken' calls unknown operation 'cart GET /nowhere'"
    );
  });

  it('rejects call cycles, which would never finish a trace', () => {
    const cyclic: Topology = {
      services: TOPOLOGY.services,
      entrypoints: [{ operation: 'cart GET /a', weight: 1 }],
      operations: [
        {
          service: 'cart',
          method: 'GET',
          route: '/a',
          selfMs: 1,
          sigma: 0.1,
          stages: [[{ type: 'http', target: 'catalog GET /b' }]]
        },
        {
          service: 'catalog',
          method: 'GET',
          route: '/b',
          selfMs: 1,
          sigma: 0.1,
          stages: [[{ type: 'http', target: 'cart GET /a' }]]
        }
      ]
    };
    expect(() => compileTopology(cyclic)).toThrow(/call cycle/);
  });
});
