import { calledFunctions, tokenize, topLevelOrderBy } from '../src/sql-tokens';

describe('sql tokens', () => {
  it('finds calls outside strings, quoted names and comments', () => {
    const sql = `/* now() */ SELECT random(), 'uuid()' AS "x(", $$setseed(1)$$ -- today()
      FROM t WHERE f(a) > 0`;
    expect(calledFunctions(tokenize(sql)).sort()).toEqual(['f', 'random']);
  });

  it('does not take a table or column list for a call, but does take a table function', () => {
    expect(calledFunctions(tokenize('SELECT i FROM range(3) AS r(i)'))).toEqual(['range']);
    expect(
      calledFunctions(tokenize('CREATE TABLE random (x INT); INSERT INTO uuid (x) VALUES (1)'))
    ).toEqual([]);
  });

  it('reads the top-level ORDER BY keys, ignoring ORDER BY inside parentheses', () => {
    const keys = topLevelOrderBy(
      tokenize(`SELECT a, string_agg(b ORDER BY c), sum(x) OVER (ORDER BY d) FROM t
        ORDER BY t.a DESC NULLS LAST, 2, "Mixed Case" LIMIT 5`)
    );
    expect(keys?.map(k => k.text)).toEqual(['t . a', '2', '"Mixed Case"']);
    expect(topLevelOrderBy(tokenize('SELECT * FROM (SELECT a FROM t ORDER BY a)'))).toBeNull();
    expect(topLevelOrderBy(tokenize('SELECT a FROM t ORDER BY ALL'))?.map(k => k.text)).toEqual([
      'all'
    ]);
  });
});
