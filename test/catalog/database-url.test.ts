import { describe, expect, it } from 'vitest';
import { resolveDatabaseUrl, secretToUrl, type Database } from '../../lib/catalog/index.ts';

const db = (url: Database['url']): Database => ({ id: 'orders', engine: 'postgres', url, rds: null, maxConnections: null });

describe('resolveDatabaseUrl', () => {
  it('reads the named environment variable', async () => {
    const result = await resolveDatabaseUrl(db({ kind: 'env', name: 'ORDERS_URL' }), { ORDERS_URL: 'postgres://bot@db/orders' });
    expect(result).toEqual({ ok: true, url: 'postgres://bot@db/orders', from: 'env' });
  });

  it('says which variable is missing', async () => {
    expect(await resolveDatabaseUrl(db({ kind: 'env', name: 'ORDERS_URL' }), {})).toEqual({
      ok: false,
      error: 'database "orders": environment variable ORDERS_URL is not set',
    });
  });

  it('reads a secret through the injected reader', async () => {
    const refs: string[] = [];
    const result = await resolveDatabaseUrl(db({ kind: 'secret', ref: '/prod/orders/url' }), {}, {
      readSecret: async (ref) => {
        refs.push(ref);
        return 'postgres://bot:pw@db/orders';
      },
    });
    expect(result).toEqual({ ok: true, url: 'postgres://bot:pw@db/orders', from: 'secret' });
    expect(refs).toEqual(['/prod/orders/url']);
  });

  it('reports a secret without a reader, a failing reader and a hung one', async () => {
    const secret = db({ kind: 'secret', ref: '/prod/orders/url' });
    expect(await resolveDatabaseUrl(secret, {})).toMatchObject({ ok: false, error: expect.stringContaining('no') as unknown });
    expect(await resolveDatabaseUrl(secret, {}, { readSecret: () => Promise.reject(new Error('AccessDenied')) })).toEqual({
      ok: false,
      error: 'database "orders": could not read secret /prod/orders/url: AccessDenied',
    });
    const started = Date.now();
    const hung = await resolveDatabaseUrl(secret, {}, { readSecret: () => new Promise(() => {}), timeoutMs: 50 });
    expect(hung).toMatchObject({ ok: false, error: expect.stringContaining('timed out') as unknown });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('accepts a Service as well as a Database, and inline demo URLs', async () => {
    const database = db({ kind: 'inline', value: 'postgres://127.0.0.1/demo', demoOnly: true });
    expect(await resolveDatabaseUrl(database, {})).toEqual({ ok: true, url: 'postgres://127.0.0.1/demo', from: 'inline' });
  });
});

describe('secretToUrl', () => {
  it('takes a plain URL as is', () => {
    expect(secretToUrl(' mysql://u:p@h/db \n')).toBe('mysql://u:p@h/db');
  });

  it('builds a URL from an RDS-managed secret, escaping credentials', () => {
    expect(
      secretToUrl(JSON.stringify({ engine: 'postgres', host: 'orders.abc.eu-west-1.rds.amazonaws.com', port: 5432, username: 'leak hound', password: 'p@ss/word', dbname: 'orders' })),
    ).toBe('postgres://leak%20hound:p%40ss%2Fword@orders.abc.eu-west-1.rds.amazonaws.com:5432/orders');
    expect(secretToUrl(JSON.stringify({ engine: 'mariadb', host: 'h', username: 'u', password: 'p' }))).toBe('mysql://u:p@h');
  });

  it('takes a url field, and gives up on anything else', () => {
    expect(secretToUrl('{"url":"postgres://x"}')).toBe('postgres://x');
    expect(secretToUrl('{"nothing":1}')).toBeNull();
    expect(secretToUrl('{not json')).toBeNull();
    expect(secretToUrl('')).toBeNull();
  });
});
