import { QueryError } from '@opsbook/query-engine';
import { errorContent } from '../src/error-content';

describe('errorContent', () => {
  it("keeps DuckDB's message and says where the error is in the cell", () => {
    const sql = 'SELECT 1;\nSELECT nope FROM spans';
    const error = QueryError.fromDuckDB(
      new Error(
        'Binder Error: Referenced column "nope" not found\n\nLINE 1: SELECT nope FROM spans\n               ^'
      ),
      sql,
      sql.indexOf('SELECT nope')
    );
    const content = errorContent(error);
    expect(content.ename).toBe('Binder Error');
    expect(content.evalue).toContain('Referenced column "nope" not found');
    expect(content.traceback.join('\n')).toContain('at line 2, column 8 of the cell');
  });

  it('names cancellations and time limits plainly', () => {
    expect(errorContent(new QueryError('Query cancelled.', { kind: 'cancelled' })).ename).toBe(
      'Cancelled'
    );
    expect(errorContent(new QueryError('late', { kind: 'timeout' })).ename).toBe('Timeout');
  });
});
