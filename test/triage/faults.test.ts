// Faults: dump targets that are slow, hung, endless, garbage or missing; a database that is
// unreachable or full. Each still yields a Report, by the deadline, with the gap named.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog, type Catalog } from '../../lib/catalog/index.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/localdb/embedded-postgres.ts';
import { triageService } from '../../lib/triage/index.ts';

const dump = readFileSync(new URL('../fixtures/dumps/go119-debug1.txt', import.meta.url));

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url?.split('?')[0] ?? '';
    if (path.startsWith('/good')) return res.end(dump);
    if (path.startsWith('/slow')) return void setTimeout(() => res.end(dump), 400);
    if (path.startsWith('/hung')) return; // never answers
    if (path.startsWith('/trickle')) {
      res.write('goroutine profile: total 1\n');
      const t = setInterval(() => res.write('#'), 100);
      res.on('close', () => clearInterval(t));
      return;
    }
    if (path.startsWith('/endless')) {
      const chunk = Buffer.alloc(64 << 10, 'x');
      const pump = () => {
        while (res.write(chunk)) {}
      };
      res.on('drain', pump);
      return pump();
    }
    if (path.startsWith('/garbage')) return res.end('<html><body>502 Bad Gateway</body></html>');
    res.statusCode = 500;
    res.end('internal error');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${a && typeof a === 'object' ? a.port : 0}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function catalogFor(urls: string[], dbUrl: string, deadlineSeconds = 3): Catalog {
  const result = parseCatalog(
    `defaults:
  slackChannel: "#incidents"
  deadlineSeconds: ${deadlineSeconds}
  dumps: { timeoutSeconds: 2, maxBytes: 2MiB, concurrency: 4 }
services:
  - name: billing-api
    database: { engine: postgres, url: { env: FAULT_DB_URL } }
    dumps: { sources: [ { http: { urls: ${JSON.stringify(urls)} } } ] }
    slackChannel: "#billing"
`,
    'faults.yml',
    { env: { FAULT_DB_URL: dbUrl } },
  );
  if (!result.ok) throw result.error;
  return result.catalog;
}

describe('dump targets that misbehave', () => {
  it('still produce a Report by the deadline, naming each gap, with the good replicas analysed', async () => {
    const urls = ['good', 'slow', 'hung', 'trickle', 'endless', 'garbage', 'missing'].map((p) => `${base}/${p}`);
    const catalog = catalogFor(urls, 'postgres://nobody@127.0.0.1:1/none');
    const started = Date.now();
    const r = await triageService({ catalog, service: catalog.services[0]! }, { env: { FAULT_DB_URL: 'postgres://nobody@127.0.0.1:1/none' }, cloudwatch: null });
    const took = Date.now() - started;
    expect(took).toBeLessThan(3_000 + 1_500); // the deadline, with room for a loaded machine
    expect(r.verdict.kind).toBe('tx-leak'); // from the good and the slow replica
    expect(r.findings.find((f) => f.kind === 'tx-leak')?.count).toBe(6);
    const reason = (p: string) => r.gaps.find((g) => g.target.includes(`/${p}`))?.reason ?? '(no gap)';
    expect(reason('hung')).toMatch(/timed out|no answer/i);
    expect(reason('trickle')).toMatch(/timed out|no answer/i);
    expect(reason('endless')).toMatch(/2 MiB|exceeded|cap/i);
    expect(reason('garbage')).toMatch(/not a goroutine dump|no goroutines/i);
    expect(reason('missing')).toMatch(/500/);
    const db = r.gaps.find((g) => g.source === 'sessions');
    expect(db?.reason).toMatch(/refused|unreachable|connect/i);
    expect(r.replicas.filter((x) => x.status === 'ok').map((x) => x.replica)).toHaveLength(2);
  });
});

describe('a database that is full', () => {
  let pgServer: RunningPostgres | undefined;
  const holders: pg.Client[] = [];
  let appUrl = '';

  beforeAll(async () => {
    pgServer = await startEmbeddedPostgres({ maxConnections: 5 }); // 3 reserved for superusers: 2 for the app
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query(`CREATE ROLE app LOGIN PASSWORD 'app-secret-pw'`);
    await admin.end();
    const u = new URL(pgServer.url);
    u.username = 'app';
    u.password = 'app-secret-pw';
    appUrl = u.toString();
    for (let i = 0; i < 2; i++) {
      const c = new pg.Client({ connectionString: appUrl, application_name: 'billing-api' });
      await c.connect();
      await c.query('BEGIN');
      holders.push(c);
    }
  });
  afterAll(async () => {
    await Promise.all(holders.map((c) => c.end().catch(() => undefined)));
    await pgServer?.stop();
  });

  it('reports the database as full, with the remedy, and still delivers the dumps verdict', async () => {
    const catalog = catalogFor([`${base}/good`], appUrl);
    const r = await triageService({ catalog, service: catalog.services[0]! }, { env: { FAULT_DB_URL: appUrl }, cloudwatch: null });
    const gap = r.gaps.find((g) => g.source === 'sessions');
    expect(gap?.reason).toMatch(/full|reserved/i);
    expect(gap?.remedy).toMatch(/pg_use_reserved_connections|reserved/);
    expect(r.capacity.full).toBe(true);
    expect(r.verdict.kind).toBe('tx-leak');
    expect(JSON.stringify(r)).not.toContain('app-secret-pw');
  });
});
