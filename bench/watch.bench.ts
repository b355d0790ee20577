// `npm run bench watch`: what one scheduled watch run costs at fleet scale. 200 services with 10
// replicas each (2,000 debug=1 dumps and pool pages from local HTTP stand-ins, in a child
// process), on 20 catalog databases (10 services each) of the local PostgreSQL, some of them
// holding sessions idle in a transaction. Five runs, the clock moved 5 minutes between them.
//
// Measured here, in the watch's own process: statements and connections per database per run
// (pg's Client counted at the call; the server's pg_stat_database.sessions as a cross-check),
// wall time per run, peak RSS; and from the replicas, the requests they answered.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseCatalog } from '../lib/catalog/index.ts';
import type { SlackSink } from '../lib/slack/post/sink.ts';
import { MemoryWatchStore } from '../lib/store/watch-memory.ts';
import { runWatch } from '../lib/watch/index.ts';
import { hostOf } from './watch/hosts.ts';

const SERVICES = Number(process.env.WATCH_SERVICES ?? 200);
const REPLICAS_PER_SERVICE = Number(process.env.WATCH_REPLICAS ?? 10);
const SERVICES_PER_DATABASE = 10;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ADMIN_URL = process.env.LEAKHOUND_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUN_TS = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const withDb = (url: string, db: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString();

/** Counts what the watch asks of PostgreSQL, at the driver: connects, and statements per query call. */
function countPg() {
  const counts = { connects: 0, queries: 0, statements: 0 };
  const proto = pg.Client.prototype as unknown as { connect: (...a: unknown[]) => unknown; query: (...a: unknown[]) => unknown };
  const connect = proto.connect;
  const query = proto.query;
  proto.connect = function (this: unknown, ...a: unknown[]) {
    counts.connects++;
    return connect.apply(this, a);
  };
  proto.query = function (this: unknown, ...a: unknown[]) {
    counts.queries++;
    const text = typeof a[0] === 'string' ? a[0] : ((a[0] as { text?: string })?.text ?? '');
    // Statements in one simple-protocol message: `;`-separated, once the `--` comments are gone.
    counts.statements += text.replace(/--[^\n]*/g, '').split(';').filter((s) => s.trim()).length;
    return query.apply(this, a);
  };
  return { counts, restore: () => Object.assign(proto, { connect, query }) };
}

const nullSink: SlackSink = {
  post: async (t) => ({ channel: t.channel, ts: `${Date.now() / 1000}` }),
  update: async () => undefined,
  ephemeral: async () => undefined,
  delete: async () => undefined,
  upload: async () => undefined,
};

export async function run(): Promise<Record<string, string | number>> {
  const dbName = `lh_bench_watch_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = withDb(ADMIN_URL, dbName);
  const replicas = spawn(process.execPath, [RUN_TS, fileURLToPath(new URL('./watch/replicas.ts', import.meta.url)), String(SERVICES)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const held: pg.Client[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: replicas.stdout! });
      lines.on('line', (l) => l.startsWith('READY ') && resolve(Number(l.slice(6))));
      replicas.once('exit', (code) => reject(new Error(`replicas exited (${code})`)));
      setTimeout(() => reject(new Error('replicas not ready in 60 s')), 60_000).unref();
    });
    // Sessions idle in a transaction for a few services (what a leak looks like from the server).
    for (let i = 0; i < 20; i++) {
      const c = new pg.Client({ connectionString: url, application_name: `svc-${i * 7}` });
      await c.connect();
      await c.query('BEGIN; SELECT 1');
      held.push(c);
    }
    const databases = Math.ceil(SERVICES / SERVICES_PER_DATABASE);
    const env: Record<string, string> = {};
    const lines = ['defaults:', '  slackChannel: "#incidents"', '  dumps: { concurrency: 8, timeoutSeconds: 3 }', '  watch: { concurrency: 16, deadlineSeconds: 50 }', 'databases:'];
    for (let d = 0; d < databases; d++) {
      lines.push(`  db-${d}: { engine: postgres, url: { env: BENCH_DB_${d} } }`);
      env[`BENCH_DB_${d}`] = url;
    }
    lines.push('services:');
    for (let s = 0; s < SERVICES; s++) {
      const urls = Array.from({ length: REPLICAS_PER_SERVICE }, (_, k) => `"http://${hostOf(s)}:${port}/r/${k}/debug/pprof/goroutine"`);
      lines.push(`  - name: svc-${s}`, `    database: db-${Math.floor(s / SERVICES_PER_DATABASE)}`, `    dumps: { sources: [ { http: { urls: [${urls.join(', ')}] } } ] }`);
    }
    const parsed = parseCatalog(lines.join('\n'), 'bench-watch.yml', { env });
    if (!parsed.ok) throw parsed.error;
    const catalog = parsed.catalog;

    const sessionsBefore = Number((await admin.query('SELECT sessions FROM pg_stat_database WHERE datname = $1', [dbName])).rows[0]?.sessions ?? 0);
    let clock = Date.now();
    const store = new MemoryWatchStore({ now: () => clock });
    const pgCounts = countPg();
    const walls: number[] = [];
    const perRun: Array<{ connects: number; statements: number; reads: number; skipped: number }> = [];
    try {
      for (let r = 0; r < RUNS; r++) {
        clock += 5 * 60_000;
        const before = { ...pgCounts.counts };
        const started = performance.now();
        const result = await runWatch({ catalog, store, sink: nullSink, gather: { env }, now: () => clock });
        walls.push(performance.now() - started);
        perRun.push({ connects: pgCounts.counts.connects - before.connects, statements: pgCounts.counts.statements - before.statements, reads: result.databaseReads, skipped: result.skipped.length });
        if (result.problems.length) throw new Error(`watch problems: ${result.problems.slice(0, 3).join('; ')}`);
      }
    } finally {
      pgCounts.restore();
    }
    // pg_stat_database is flushed at session end; give the last ones a moment.
    await new Promise((r) => setTimeout(r, 1_500));
    const sessionsAfter = Number((await admin.query('SELECT sessions FROM pg_stat_database WHERE datname = $1', [dbName])).rows[0]?.sessions ?? 0);
    const replicaCounts = (await (await fetch(`http://${hostOf(0)}:${port}/__counts`, { signal: AbortSignal.timeout(5_000) })).json()) as { goroutine: number; metrics: number; connections: number };
    const last = perRun.at(-1)!;
    return {
      'fleet': `${SERVICES} services, ${SERVICES * REPLICAS_PER_SERVICE} replicas, ${databases} catalog databases`,
      'runs': RUNS,
      'wall time per run (median / max)': `${(median(walls) / 1000).toFixed(2)} s / ${(Math.max(...walls) / 1000).toFixed(2)} s`,
      'database reads per run': last.reads,
      'connections per database per run': (last.connects / databases).toFixed(2),
      'statements per database per run': (last.statements / databases).toFixed(2),
      'server-side sessions opened, all runs (pg_stat_database)': `${sessionsAfter - sessionsBefore} (expected ${databases * RUNS})`,
      'dumps fetched per run (debug=1)': Math.round(replicaCounts.goroutine / RUNS),
      'pool pages read per run': Math.round(replicaCounts.metrics / RUNS),
      'services skipped at the deadline (last run)': last.skipped,
      'peak RSS of the watch process (maxRSS)': `${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
    };
  } finally {
    for (const c of held) await c.end().catch(() => undefined);
    replicas.kill('SIGTERM');
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}
