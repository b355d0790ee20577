// `npm run bench triage`: alarm to finished Report for a service with 20 replicas (20 HTTP
// endpoints on distinct loopback addresses serving a dump captured from the Go service) and a
// database holding 1000+ real client sessions (embedded PostgreSQL 18). The alarm goes through
// the production path: SNS CloudWatch payload -> parseAlerts -> catalog mapping -> triage.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import pg from 'pg';
import { parseAlerts } from '../lib/alerts/index.ts';
import { parseCatalog } from '../lib/catalog/index.ts';
import { rdsConnectionsAlarmEvent } from '../lib/demo/alarm.ts';
import { startEmbeddedPostgres } from '../lib/localdb/embedded-postgres.ts';
import { triageAlert } from '../lib/triage/index.ts';

const REPLICAS = 20;
const SESSIONS = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

async function replicaServers(): Promise<{ urls: string[]; close: () => void }> {
  const dump = readFileSync(new URL('../test/fixtures/dumps/go119-debug1.txt', import.meta.url));
  const servers: Server[] = [];
  const urls: string[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    const host = `127.0.0.${i + 2}`; // each replica its own address, as pods have
    const s = createServer((_req, res) => res.end(dump));
    await new Promise<void>((r) => s.listen(0, host, r));
    servers.push(s);
    urls.push(`http://${host}:${(s.address() as { port: number }).port}`);
  }
  return { urls, close: () => servers.forEach((s) => (s.closeAllConnections(), s.close())) };
}

export async function run(): Promise<Record<string, string | number>> {
  const db = await startEmbeddedPostgres({ maxConnections: SESSIONS + 50 });
  const replicas = await replicaServers();
  const clients: pg.Client[] = [];
  try {
    const setup = new pg.Client({ connectionString: db.url });
    await setup.connect();
    await setup.query('CREATE TABLE accounts (id int primary key, balance int)');
    await setup.query('INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 1000) g');
    await setup.end();
    // 1000 sessions: 80 % idle, 15 % idle in transaction, 5 % with a literal-bearing last query.
    const log = (m: string) => process.env.BENCH_VERBOSE && console.log(`  ${m}`);
    log('database up; opening sessions');
    for (let start = 0; start < SESSIONS; start += 50) {
      log(`  ${start} sessions open`);
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const i = start + j;
          const c = new pg.Client({ connectionString: db.url, application_name: i % 2 ? 'billing-api' : 'orders-api' });
          c.on('error', () => undefined); // the server goes away at the end
          await c.connect();
          clients.push(c);
          if (i % 20 < 3) {
            await c.query('BEGIN');
            await c.query(`UPDATE accounts SET balance = balance - ${i} WHERE id = ${i + 1}`);
          } else await c.query(`SELECT balance FROM accounts WHERE id = ${(i % 100) + 1}`);
        }),
      );
    }
    const catalogResult = parseCatalog(
      `defaults: { slackChannel: "#incidents", deadlineSeconds: 8 }
services:
  - name: billing-api
    database: { engine: postgres, url: { env: BENCH_DB_URL }, rds: { instance: bench-orders } }
    dumps: { sources: [ { http: { urls: ${JSON.stringify(replicas.urls)} } } ] }
    slackChannel: "#billing"
`,
      'bench.yml',
      { env: { BENCH_DB_URL: db.url } },
    );
    if (!catalogResult.ok) throw catalogResult.error;
    const event = rdsConnectionsAlarmEvent({ instance: 'bench-orders', value: 1000, threshold: 800 });
    const times: number[] = [];
    let last = null as null | Awaited<ReturnType<typeof triageAlert>>[number];
    for (let i = 0; i < RUNS + 2; i++) {
      const t0 = performance.now();
      const parsed = parseAlerts(JSON.stringify(event));
      if (!parsed.ok) throw new Error(parsed.error.message);
      const [report] = await triageAlert(catalogResult.catalog, parsed.alerts[0]!, { env: { BENCH_DB_URL: db.url }, cloudwatch: null }, { minAgeMs: 0 });
      const t = performance.now() - t0;
      if (process.env.BENCH_VERBOSE) console.log(`  run ${i}: ${t.toFixed(0)} ms`);
      if (i >= 2) times.push(t); // two warm-up runs: a Lambda is warm after its first alarm
      last = report!;
    }
    return {
      'replicas / sessions on the database': `${REPLICAS} / ${last!.sessions?.total ?? 0}`,
      'verdict': last!.verdict.headline.slice(0, 100),
      'gaps': last!.gaps.map((g) => `${g.source}:${g.target}`).join(', ') || 'none',
      [`alarm -> Report, p50 over ${RUNS} runs`]: `${pct(times, 50).toFixed(0)} ms`,
      [`alarm -> Report, p95 over ${RUNS} runs`]: `${pct(times, 95).toFixed(0)} ms`,
      'alarm -> Report, max': `${Math.max(...times).toFixed(0)} ms`,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    replicas.close();
    await db.stop();
  }
}
