// `npm run bench sessions`: the cost of one takeSnapshot on an embedded PostgreSQL 18 holding
// 1000 real client sessions (opened from here with `pg`, in a mix of states), as a person would
// pay it: connect + SCRAM auth + both statements + fingerprinting, classification, grouping.
//
// Bytes are measured on the wire: the snapshot connects through a byte-counting TCP relay in
// this process, so the figures are every byte of the startup, authentication, queries and
// results, in each direction, not an estimate from row sizes.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startEmbeddedPostgres } from '../lib/localdb/embedded-postgres.ts';
import { takeSnapshot } from '../lib/sessions/index.ts';
import { ACTIVITY_SQL, SETTINGS_SQL } from '../lib/sessions/postgres.ts';

const SESSIONS = 1000;
const RUNS = 20;

interface Relay {
  port: number;
  /** Bytes relayed since the last reset. */
  toServer: number;
  fromServer: number;
  reset(): void;
  close(): Promise<void>;
}

function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const relay = { port: 0, toServer: 0, fromServer: 0, reset() { relay.toServer = 0; relay.fromServer = 0; } } as Relay;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    client.on('data', (d) => (relay.toServer += d.length));
    upstream.on('data', (d) => (relay.fromServer += d.length));
    client.pipe(upstream).pipe(client);
    const done = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      relay.port = (server.address() as { port: number }).port;
      relay.close = () => {
        for (const s of sockets) s.destroy();
        return new Promise((r) => server.close(() => r()));
      };
      resolve(relay);
    }),
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (x: number) => Math.round(x * 10) / 10;

async function pool<T>(n: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await work(i);
      }
    }),
  );
  return out;
}

export async function run(): Promise<Record<string, string | number>> {
  const server = await startEmbeddedPostgres({ maxConnections: SESSIONS + 60 });
  const clients: Array<pg.Client | undefined> = new Array(SESSIONS);
  const pending: Promise<unknown>[] = [];
  let relay: Relay | null = null;
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE ROLE app LOGIN PASSWORD 'app-pw'`);
    await admin.query(`CREATE TABLE accounts (id int PRIMARY KEY, email text, balance int)`);
    await admin.query(`INSERT INTO accounts SELECT g, 'user' || g || '@example.com', 100 FROM generate_series(1, 2000) g`);
    await admin.query(`GRANT SELECT, UPDATE ON accounts TO app`);
    await admin.end();
    const appUrl = server.url.replace(/\/\/postgres:[^@]*@/, '//app:app-pw@');

    // The mix a leaking fleet shows: mostly idle pool connections, many transactions left open
    // (some aborted), long queries, and a queue of lock waiters behind one open transaction.
    const apps = ['billing-api', 'orders-api', 'cache-warmer', 'report-worker', 'web', 'auth', 'search', 'ledger'];
    const t0 = performance.now();
    const opened = await pool(SESSIONS, 24, async (i) => {
      const c = new pg.Client({ connectionString: appUrl, application_name: apps[i % apps.length] });
      c.on('error', () => undefined);
      await c.connect();
      clients[i] = c;
      const id = (i % 1900) + 10;
      if (i < 550) {
        await c.query(`SELECT * FROM accounts WHERE email = 'user${i}@example.com' AND id IN (${id}, ${id + 1}, ${id + 2})`);
        return 'idle';
      }
      if (i < 820) {
        await c.query('BEGIN');
        await c.query(`UPDATE accounts SET balance = balance - ${i} WHERE id = ${id} AND email <> 'x${i}@example.com'`);
        return 'idle in transaction';
      }
      if (i < 850) {
        await c.query('BEGIN');
        await c.query(`SELECT 'not-a-number-${i}'::int`).catch(() => undefined);
        return 'aborted';
      }
      if (i < 950) {
        pending.push(c.query(`SELECT pg_sleep(600), 'report-${i}' AS tag`).catch(() => undefined));
        return 'active';
      }
      if (i === 950) {
        await c.query('BEGIN');
        await c.query('UPDATE accounts SET balance = 0 WHERE id = 1');
        return 'blocker';
      }
      return 'waiter';
    });
    // Waiters queue behind the blocker once it holds its lock.
    opened.forEach((kind, i) => {
      if (kind === 'waiter') pending.push(clients[i]!.query(`UPDATE accounts SET balance = ${i} WHERE id = 1`).catch(() => undefined));
    });
    const openSeconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1_500));

    const options = { minAgeMs: 1_000, timeoutMs: 10_000 };
    for (let i = 0; i < 3; i++) await takeSnapshot(server.url, options); // warm-up: JIT, caches
    const wall: number[] = [];
    let last = await takeSnapshot(server.url, options);
    for (let i = 0; i < RUNS; i++) {
      const a = performance.now();
      last = await takeSnapshot(server.url, options);
      wall.push(performance.now() - a);
    }
    if (last.problems.length) throw new Error(`snapshot problems: ${JSON.stringify(last.problems)}`);

    // The connection alone (TCP + startup + SCRAM), to show what the statements themselves cost.
    const connectOnly: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = performance.now();
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      connectOnly.push(performance.now() - a);
      await c.end();
    }

    // The two statements alone, on an open connection: server work + transfer + row parsing.
    const statements: number[] = [];
    {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      for (let i = 0; i < RUNS; i++) {
        const a = performance.now();
        await c.query(`${SETTINGS_SQL};${ACTIVITY_SQL}`);
        statements.push(performance.now() - a);
      }
      await c.end();
    }

    relay = await startRelay(server.port);
    const relayedUrl = server.url.replace(`:${server.port}/`, `:${relay.port}/`);
    const toServer: number[] = [];
    const fromServer: number[] = [];
    for (let i = 0; i < 5; i++) {
      relay.reset();
      const snap = await takeSnapshot(relayedUrl, options);
      await new Promise((r) => setTimeout(r, 20)); // let the relay count the final Terminate
      if (snap.sessions.length < SESSIONS) throw new Error(`relayed snapshot saw ${snap.sessions.length} sessions`);
      toServer.push(relay.toServer);
      fromServer.push(relay.fromServer);
    }

    const states = last.groups.byState.map((g) => `${g.key} ${g.count}`).join(', ');
    const kinds = new Map<string, number>();
    for (const s of last.suspects) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
    return {
      'client sessions held': last.sessions.length,
      'states': states,
      'suspects': [...kinds].map(([k, n]) => `${k} ${n}`).join(', '),
      'distinct fingerprints': last.groups.byFingerprint.length,
      'opening the sessions (s)': Math.round(openSeconds * 10) / 10,
      [`takeSnapshot wall ms, median of ${RUNS}`]: ms(pct(wall, 50)),
      [`takeSnapshot wall ms, p95 of ${RUNS}`]: ms(pct(wall, 95)),
      'takeSnapshot wall ms, min / max': `${ms(Math.min(...wall))} / ${ms(Math.max(...wall))}`,
      'of which connect + SCRAM auth, median ms': ms(pct(connectOnly, 50)),
      'of which the two statements (open connection), median ms': ms(pct(statements, 50)),
      'target ms': 50,
      'load average while measuring (2 cores)': loadavg().map((x) => x.toFixed(1)).join(' '),
      'bytes from server per snapshot (wire)': pct(fromServer, 50),
      'bytes to server per snapshot (wire)': pct(toServer, 50),
      'bytes from server per session': Math.round(pct(fromServer, 50) / last.sessions.length),
      'snapshot JSON bytes (what callers hold)': JSON.stringify(last).length,
    };
  } finally {
    await relay?.close();
    await Promise.all(clients.map((c) => c?.end().catch(() => undefined)));
    await server.stop();
  }
}
