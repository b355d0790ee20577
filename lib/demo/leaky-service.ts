// A service that really leaks, for the demo: the Go fixture service from lib/demo/goservice when Go
// is installed, else a Node stand-in that holds real leaked sessions and serves a goroutine dump
// captured from that Go service.
//
// The Go service runs supervised, as systemd or Kubernetes would run it: when it exits (the demo
// catalog's restart command kills it), it is started again on the same port, and its leaks are
// gone with the old process. That is what a restart's verification then measures.
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildGoService, goVersion, leaks, startGoService, type GoService, type ParkedRequest } from './run-goservice.ts';
import { errorMessage } from '../errors/index.ts';

export interface LeakyService {
  kind: 'go' | 'node';
  /** Base URL of its HTTP server (pprof under /debug/pprof/). */
  url: string;
  describe: string;
  /** The catalog's restart command for it. */
  restartArgv: string[];
  /** Makes the running service leak (again, after a restart). */
  leak(): Promise<void>;
  stop(): Promise<void>;
}

const POOL = 6;

const SCHEMA = fileURLToPath(new URL('../../lib/demo/goservice/schema.sql', import.meta.url));
const CAPTURED_DUMP = fileURLToPath(new URL('../../lib/demo/captured-goroutines-debug1.txt', import.meta.url));

export async function loadSchema(dbUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(await readFile(SCHEMA, 'utf8'));
  } finally {
    await client.end();
  }
}

/**
 * Starts the leaking service and drives its leaks: 3 transactions, 2+1 result sets, 2 bodies, 4
 * waiters. `dir` (private to this run) holds its pid file and restart script.
 */
export async function startLeakyService(dbUrl: string, dir: string, log: (line: string) => void): Promise<LeakyService> {
  if (!process.env.LEAKHOUND_DEMO_NODE && (await goVersion())) {
    log('building the Go service in lib/demo/goservice (billing-api)');
    await buildGoService();
    const dsn = new URL(dbUrl);
    dsn.searchParams.set('sslmode', 'disable');
    dsn.searchParams.set('application_name', 'billing-api');
    return superviseGoService(dsn.toString(), dir, log);
  }
  return startNodeStandIn(dbUrl, log);
}

async function superviseGoService(dsn: string, dir: string, log: (line: string) => void): Promise<LeakyService> {
  const pidFile = join(dir, 'billing-api.pid');
  const script = join(dir, 'restart-billing-api');
  // What an operator's restart script does on a VM: stop the process; the supervisor starts it.
  await writeFile(script, `#!/bin/sh\n# Stops billing-api; the demo environment starts it again, as systemd would.\nkill "$(cat ${shellQuote(pidFile)})"\n`, { mode: 0o700 });
  await chmod(script, 0o700);
  let parked: ParkedRequest[] = [];
  let stopping = false;
  let svc: GoService = await startGoService({ dsn, maxOpen: POOL });
  const address = new URL(svc.url).host;
  const started = async (s: GoService) => {
    svc = s;
    await writeFile(pidFile, `${s.pid}\n`);
    void s.exited.then(async () => {
      if (stopping) return;
      await rm(pidFile, { force: true });
      for (const p of parked) p.abort();
      parked = [];
      try {
        await started(await startGoService({ dsn, maxOpen: POOL, args: ['-listen', address] }));
        log(`billing-api (pid ${s.pid}) exited; the supervisor started it again (pid ${svc.pid}) on ${address}, without its leaks`);
      } catch (err) {
        log(`billing-api exited and could not be started again: ${errorMessage(err)}`);
      }
    });
  };
  await started(svc);
  const leak = async () => {
    for (let i = 0; i < 3; i++) await leaks.transfer(svc);
    for (let i = 0; i < 2; i++) await leaks.report(svc);
    await leaks.export(svc);
    for (let i = 0; i < 2; i++) await leaks.proxy(svc);
    for (let i = 0; i < 4; i++) parked.push(leaks.parkOrders(svc, `customer-${i}`));
    await svc.waitFor('callers parked on the pool', async () => (await svc.stats()).waitCount >= 4, 10_000);
  };
  log(`billing-api listening on ${svc.url} with a pool of ${POOL} connections; driving its leaks:`);
  await leak();
  log('  3x POST /transfer  -> error path returns without Rollback (transaction leak)');
  log('  2x GET /report     -> returns early without rows.Close()');
  log('  1x GET /export     -> rows under context.Background() never closed (no goroutine shows it)');
  log('  2x GET /proxy      -> HTTP response bodies never closed');
  log('  4x GET /orders     -> well-behaved, but now wait for a connection (the pool is exhausted)');
  return {
    kind: 'go',
    url: svc.url,
    describe: `billing-api (Go ${/go(\d[\w.]*)/.exec((await goVersion()) ?? '')?.[1] ?? '?'})`,
    restartArgv: [script],
    leak,
    stop: async () => {
      stopping = true;
      for (const p of parked) p.abort();
      await svc.stop();
    },
  };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

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
  const leak = async () => {
    for (let i = 0; i < 3; i++) {
      const c = await open();
      await c.query('BEGIN');
      await c.query(`UPDATE accounts SET balance = balance - 5000 WHERE id = ${i + 1} AND status = 'active'`);
    }
    for (let i = 0; i < 3; i++) await (await open()).query(`SELECT id, total_cents FROM orders WHERE customer = 'customer-${i}'`);
  };
  await leak();
  log('  3 transactions begun and left open (idle in transaction)');
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
    describe: 'billing-api (a Node stand-in: Go is not installed)',
    // Nothing to restart: the stand-in's sessions live in this process.
    restartArgv: ['echo', 'the Node stand-in cannot be restarted (install Go for the full demo)'],
    leak,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    },
  };
}
