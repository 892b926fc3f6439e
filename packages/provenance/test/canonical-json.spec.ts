import { canonicalJson } from '../src/canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'é' }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":"é","z":null}]},"b":1}'
    );
  });

  it('gives equal objects with different key orders the same text', () => {
    expect(canonicalJson({ x: 1, y: [true, false] })).toBe(
      canonicalJson({ y: [true, false], x: 1 })
    );
  });

  it('writes numbers in their shortest round-trip form', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7])).toBe('[1e+21,0.1,0,1.5e-7]');
  });

  it('refuses values JSON cannot hold, naming where they are', () => {
    expect(() => canonicalJson({ a: [1, NaN] })).toThrow(/\$\.a\[1\] is NaN/);
    expect(() => canonicalJson({ n: BigInt(1) })).toThrow(/\$\.n is a bigint.*decimal string/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/\$\.d is a Date object/);
    expect(() => canonicalJson([undefined])).toThrow(/\$\[0\] is undefined/);
  });
});
