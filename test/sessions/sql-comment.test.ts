// sqlcommenter comments: the route is kept as attribution, every value is dropped from the
// fingerprint, and nothing inside a string literal can pose as a comment.
import { describe, expect, it } from 'vitest';
import { parseSqlComment, readStatement } from '../../lib/sessions/index.ts';

describe('sqlcommenter tags', () => {
  it('keeps route, action and controller, URL-decoded, and drops the trace id and the rest', () => {
    const sql =
      "SELECT id FROM orders WHERE customer = 'ann@example.com' /*action='export%20orders',controller='ledger',framework='net%2Fhttp',route='%2Fledger%2Fexport',traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/";
    const r = readStatement(sql);
    expect(r.comment).toEqual({ route: '/ledger/export', action: 'export orders', controller: 'ledger' });
    expect(r.fingerprint).toBe('SELECT id FROM orders WHERE customer = ?');
  });

  it('reads the last sqlcommenter comment and unescapes quotes in values', () => {
    const r = readStatement("/* plain note */ UPDATE t SET x = 1 /*route='/it\\'s'*/");
    expect(r.comment).toEqual({ route: "/it's" });
    expect(r.fingerprint).toBe('UPDATE t SET x = ?');
  });

  it('ignores comment-shaped text inside string literals and comments that are not key=value', () => {
    expect(readStatement("SELECT '/*route=''/admin''*/' AS x").comment).toBeNull();
    expect(readStatement('SELECT 1 /* just a note */').comment).toBeNull();
    expect(parseSqlComment("/*route='/a' trailing*/")).toBeNull();
    expect(parseSqlComment("/*route='/a',*/")).toEqual({ route: '/a' });
  });

  it('refuses values with control characters or over 200 characters, and bad percent-encoding', () => {
    expect(parseSqlComment("/*route='%1B%5B31mred'*/")).toBeNull();
    expect(parseSqlComment(`/*route='/${'a'.repeat(300)}'*/`)).toBeNull();
    expect(parseSqlComment("/*route='%E0%A4%A'*/")).toBeNull();
  });

  it('works with MySQL comments too', () => {
    const r = readStatement("SELECT * FROM t WHERE a = \"x\" /*route='/m',action='list'*/", { dialect: 'mysql' });
    expect(r).toEqual({ fingerprint: 'SELECT * FROM t WHERE a = ?', comment: { route: '/m', action: 'list' } });
  });
});
