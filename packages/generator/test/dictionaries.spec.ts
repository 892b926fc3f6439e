import { OperationDictionary, ResourceDictionary } from '../src/dictionaries';

describe('ResourceDictionary', () => {
  it('gives dense ids in order of first use and the same id on every repeat', () => {
    const d = new ResourceDictionary();
    expect(d.id('payment', '2.3.0', 'payment-a')).toBe(0);
    expect(d.id('checkout', '2.7.1', 'checkout-a')).toBe(1);
    expect(d.id('payment', '2.3.0', 'payment-a')).toBe(0);
    // Same pod name with another version is another resource, and the old one is still found.
    expect(d.id('payment', '2.4.0', 'payment-a')).toBe(2);
    expect(d.id('payment', '2.3.0', 'payment-a')).toBe(0);
    expect(d.entries.map(e => e.id)).toEqual([0, 1, 2]);
  });
});

describe('OperationDictionary', () => {
  it('tells apart operations that share a name but differ in kind, method or route', () => {
    const d = new OperationDictionary();
    const server = d.id('GET /cart', 'SERVER', 'GET', '/cart');
    const client = d.id('GET /cart', 'CLIENT', 'GET', '/cart');
    const db = d.id('GET /cart', 'CLIENT', null, null);
    expect(new Set([server, client, db]).size).toBe(3);
    expect(d.id('GET /cart', 'CLIENT', 'GET', '/cart')).toBe(client);
    expect(d.id('GET /cart', 'SERVER', 'GET', '/cart')).toBe(server);
    expect(d.entries[db]).toMatchObject({ spanKind: 'CLIENT', httpMethod: null, httpRoute: null });
  });
});
