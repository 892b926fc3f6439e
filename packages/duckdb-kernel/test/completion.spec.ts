import { complete } from '../src/completion';

const datasets = [
  {
    name: 'spans',
    columns: [
      { name: 'service_name', type: 'VARCHAR' },
      { name: 'start_time', type: 'TIMESTAMP' }
    ]
  },
  {
    name: 'logs',
    columns: [
      { name: 'severity_text', type: 'VARCHAR' },
      { name: 'service_name', type: 'VARCHAR' }
    ]
  }
];

describe('complete', () => {
  it('completes table names', () => {
    const code = 'SELECT * FROM sp';
    expect(complete(code, code.length, datasets)).toMatchObject({
      matches: ['spans'],
      cursorStart: 14,
      cursorEnd: 16
    });
  });

  it('completes column names once, with their type', () => {
    const code = 'SELECT serv';
    const result = complete(code, code.length, datasets);
    expect(result.matches).toEqual(['service_name']);
    expect(result.types[0].type).toBe('column VARCHAR');
  });

  it("offers only a table's columns after 'table.'", () => {
    const code = 'SELECT logs.';
    expect(complete(code, code.length, datasets).matches).toEqual([
      'severity_text',
      'service_name'
    ]);
  });

  it('completes SQL keywords case-insensitively', () => {
    const code = 'sel';
    expect(complete(code, code.length, datasets).matches).toContain('SELECT');
  });
});
