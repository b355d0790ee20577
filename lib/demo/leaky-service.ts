// A service that really leaks, for the demo: the Go fixture service from test/goservice when Go
// is installed, else a Node stand-in that holds real leaked sessions and serves a goroutine dump
// captured from that Go service.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildGoService, goVersion, leaks, startGoService, type ParkedRequest } from '../../test/support/goservice.ts';

export interface LeakyService {
  kind: 'go' | 'node';
  /** Base URL of its HTTP server (pprof under /debug/pprof/). */
  url: string;
  describe: string;
  stop(): Promise<void>;
}

const SCHEMA = fileURLToPath(new URL('../../test/goservice/schema.sql', import.meta.url));
const CAPTURED_DUMP = fileURLToPath(new URL('../../test/fixtures/dumps/go119-debug1.txt', import.meta.url));

export async function loadSchema(dbUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(await readFile(SCHEMA, 'utf8'));
  } finally {
    await client.end();
  }
}

/** Starts the leaking service and drives its leaks: 3 transactions, 2+1 result sets, 2 bodies, 4 waiters. */
export async function startLeakyService(dbUrl: string, log: (line: string) => void): Promise<LeakyService> {
  if (!process.env.LEAKHOUND_DEMO_NODE && (await goVersion())) {
    log('building the Go service in test/goservice (billing-api)');
    await buildGoService();
    const dsn = new URL(dbUrl);
    dsn.searchParams.set('sslmode', 'disable');
    dsn.searchParams.set('application_name', 'billing-api');
    const svc = await startGoService({ dsn: dsn.toString(), maxOpen: 6 });
    log(`billing-api listening on ${svc.url} with a pool of 6 connections; driving its leaks:`);
    for (let i = 0; i < 3; i++) await leaks.transfer(svc);
    log('  3x POST /transfer  -> error path returns without Rollback (transaction leak)');
    for (let i = 0; i < 2; i++) await leaks.report(svc);
    log('  2x GET /report     -> returns early without rows.Close()');
    await leaks.export(svc);
    log('  1x GET /export     -> rows under context.Background() never closed (no goroutine shows it)');
    for (let i = 0; i < 2; i++) await leaks.proxy(svc);
    log('  2x GET /proxy      -> HTTP response bodies never closed');
    const parked: ParkedRequest[] = [];
    for (let i = 0; i < 4; i++) parked.push(leaks.parkOrders(svc, `customer-${i}`));
    await svc.waitFor('callers parked on the pool', async () => (await svc.stats()).waitCount >= 4, 10_000);
    log('  4x GET /orders     -> well-behaved, but now wait for a connection (the pool is exhausted)');
    return {
      kind: 'go',
      url: svc.url,
      describe: `Go ${await goVersion()} service billing-api`,
      stop: async () => {
        for (const p of parked) p.abort();
        await svc.stop();
      },
    };
  }
  return startNodeStandIn(dbUrl, log);
}

/** Without Go: real leaked sessions held from Node, and a dump captured from the Go service. */
async function startNodeStandIn(dbUrl: string, log: (line: string) => void): Promise<LeakyService> {
  log('Go is not installed: a Node stand-in holds the leaked sessions and serves a dump captured from the Go service');
  const clients: pg.Client[] = [];
  const open = async () => {
    const c = new pg.Client({ connectionString: dbUrl, application_name: 'billing-api', connectionTimeoutMillis: 5000 });
    await c.connect();
    clients.push(c);
    return c;
  };
  for (let i = 0; i < 3; i++) {
    const c = await open();
    await c.query('BEGIN');
    await c.query(`UPDATE accounts SET balance = balance - 5000 WHERE id = ${i + 1} AND status = 'active'`);
  }
  log('  3 transactions begun and left open (idle in transaction)');
  for (let i = 0; i < 3; i++) await (await open()).query(`SELECT id, total_cents FROM orders WHERE customer = 'customer-${i}'`);
  log('  3 connections left idle after their last query');
  const dump = await readFile(CAPTURED_DUMP);
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/debug/pprof/goroutine')) res.end(dump);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const url = `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`;
  return {
    kind: 'node',
    url,
    describe: 'Node stand-in for billing-api',
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    },
  };
}
