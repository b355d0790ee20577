// `npm run bench fleet`: alarm to Report at fleet scale. 500 replicas, each an HTTP server on its
// own loopback address serving a real debug=1 dump; 5,000 real client sessions on an embedded
// PostgreSQL 18, of several applications. Targets (issue 11): p95 ≤ 5 s, peak RSS ≤ 512 MB (a
// Lambda size users pick), one database connection.
//
// Three children, so each figure measures what it says: the triage runs alone in its process
// (its maxRSS is the bot's, not the 5,000 client sockets' or the 500 servers'); the sessions and
// the replicas each live in their own. This process only starts the database, drives the
// children, and samples the server's backend status (pg_stat_activity's source) for the bot's
// connections while the triage runs.
//
// BENCH_RUNS (default 20) measured runs after 2 warm-ups; FLEET_DUMP_CONCURRENCY overrides the
// catalog's dump concurrency; FLEET_TRIAGE_NODE_ARGS passes flags to the triage process
// (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`); BENCH_VERBOSE=1 prints progress.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../lib/localdb/embedded-postgres.ts';
import { BOT_ROLE, botConnectionSampler, type BotConnectionSampler } from './fleet/bot-connections.ts';
import { startChild, type BenchChild } from './fleet/child.ts';
import type { TriageRun } from './fleet/messages.ts';
import { fillTableSql, TABLE_SQL } from './fleet/session-mix.ts';

const REPLICAS = 500;
const SESSIONS = 5_000;
/** Slots beyond the held sessions: the bot, the sampler, the setup connection, superuser reserve. */
const CONNECTION_MARGIN = 100;
/** Connections opened at once: each forks a backend and runs SCRAM, on 2 shared cores. */
const SESSION_OPEN_CONCURRENCY = 16;
const WARMUPS = 2;
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DEADLINE_SECONDS = 8;
// The catalog's default. Loopback replicas answer at once, so the triage is CPU-bound on one
// thread and more reads in flight buy nothing: 32 measured no faster than 8 (p95 2.9 s against
// 2.3 s) and slowed the session read that shares the event loop. Real round trips would favour more.
const DUMP_CONCURRENCY = Number(process.env.FLEET_DUMP_CONCURRENCY ?? 8);

const TARGET_P95_MS = 5_000;
const TARGET_RSS_MIB = 512;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (kib: number) => Math.round(kib / 1024);
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const counted = (o: Record<string, number>) =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k || '(none)'} ${n}`)
    .join(', ');

/**
 * The table the sessions touch, and the bot's own role made by the grants file users run
 * (pg_monitor, a connection limit, short timeouts). Returns the URL the bot connects with.
 */
async function prepareDatabase(superuserUrl: string): Promise<string> {
  const setup = new pg.Client({ connectionString: superuserUrl, application_name: 'leakhound-bench-setup' });
  await setup.connect();
  const password = randomBytes(18).toString('base64url');
  try {
    await setup.query(TABLE_SQL);
    await setup.query(fillTableSql(SESSIONS + 10));
    await setup.query(readFileSync(new URL('../infra/grants/postgres.sql', import.meta.url), 'utf8'));
    await setup.query(`ALTER ROLE ${BOT_ROLE} PASSWORD '${password}'`);
  } finally {
    await setup.end();
  }
  const url = new URL(superuserUrl);
  url.username = BOT_ROLE;
  url.password = password;
  return url.href;
}

export async function run(): Promise<Record<string, string | number>> {
  const children: BenchChild[] = [];
  let db: RunningPostgres | null = null;
  let sampler: BotConnectionSampler | null = null;
  try {
    db = await startEmbeddedPostgres({ maxConnections: SESSIONS + CONNECTION_MARGIN });
    const botUrl = await prepareDatabase(db.url);

    // Sessions and replicas come up side by side; the sessions take the longest.
    const holder = startChild('fleet sessions', './sessions.ts');
    const fleet = startChild('fleet replicas', './replicas.ts');
    children.push(holder, fleet);
    holder.send({ type: 'open-sessions', databaseUrl: db.url, sessions: SESSIONS, concurrency: SESSION_OPEN_CONCURRENCY });
    fleet.send({ type: 'serve-replicas', replicas: REPLICAS });
    const [opened, serving] = await Promise.all([holder.next('sessions-open', 10 * 60_000), fleet.next('replicas-serving', 2 * 60_000)]);
    if (opened.opened !== SESSIONS) throw new Error(`only ${opened.opened} of ${SESSIONS} sessions opened`);

    const triage = startChild('fleet triage', './triage.ts', (process.env.FLEET_TRIAGE_NODE_ARGS ?? '').split(' ').filter(Boolean));
    children.push(triage);
    const runs: TriageRun[] = [];
    triage.on('triage-run', (r) => runs.push(r));
    sampler = await botConnectionSampler(db.url);
    const loadBefore = load();
    sampler.start();
    triage.send({
      type: 'start-triage',
      databaseUrl: botUrl,
      replicaUrls: serving.urls,
      dumpConcurrency: DUMP_CONCURRENCY,
      deadlineSeconds: DEADLINE_SECONDS,
      warmups: WARMUPS,
      runs: RUNS,
    });
    // Every run ends by its deadline; the slack is for starting the process and loading modules.
    const done = await triage.next('triage-done', (WARMUPS + RUNS) * (DEADLINE_SECONDS + 5) * 1000 + 60_000);
    const connections = await sampler.stop();
    const loadAfter = load();
    fleet.send({ type: 'ask-request-counts' });
    const requests = await fleet.next('request-counts', 10_000);

    const measured = runs.filter((r) => !r.warmup);
    const warmups = runs.filter((r) => r.warmup);
    const times = measured.map((r) => r.ms);
    const p95 = pct(times, 95);
    const rssMiB = mib(done.maxRssKiB);
    const stage = (pick: (r: TriageRun) => number | null) => {
      const xs = measured.map(pick).filter((x): x is number => x !== null);
      return xs.length ? `${seconds(pct(xs, 50))} / ${seconds(pct(xs, 95))}` : 'never';
    };
    const missed = [
      p95 > TARGET_P95_MS && `p95 ${seconds(p95)} > 5 s`,
      rssMiB > TARGET_RSS_MIB && `peak RSS ${rssMiB} MiB > ${TARGET_RSS_MIB} MiB`,
      (connections.maxAtOnce !== 1 || connections.maxOfRoleAtOnce !== 1) && `${connections.maxAtOnce} bot connections at once (want exactly 1)`,
    ].filter(Boolean);
    return {
      'replicas read / total': `${done.replicasRead} / ${done.replicasTotal}`,
      'dumps served (real debug=1, in rotation)': counted(serving.dumps).replace(/(dumps|wild\/dumps)\//g, ''),
      'sessions on the database / of billing-api': `${done.sessionsOnDatabase} / ${done.sessionsOfService} (${SESSIONS} held + the sampler)`,
      'sessions held, by application': counted(opened.byApplication),
      'sessions held, by state': counted(opened.byState),
      'opening the sessions': `${opened.seconds.toFixed(1)} s, ${SESSION_OPEN_CONCURRENCY} at a time`,
      'dump concurrency (defaults.dumps.concurrency)': DUMP_CONCURRENCY,
      'verdict': `${done.verdictKind}: ${done.headline.slice(0, 110)}`,
      'findings': done.findings.join(', ') || 'none',
      'gaps': done.gaps.length ? `${done.gaps.length}: ${done.gaps.slice(0, 3).join('; ')}` : '0',
      [`alarm -> Report, p50 / p95 / max over ${times.length} runs`]: `${seconds(pct(times, 50))} / ${seconds(p95)} / ${seconds(Math.max(...times))}`,
      'warm-up runs (the first is a cold process)': warmups.map((r) => `${seconds(r.ms)}, ${r.replicasRead} read`).join('; '),
      'replicas read per measured run, fewest': Math.min(...measured.map((r) => r.replicasRead)),
      'gaps per measured run, most': Math.max(...measured.map((r) => r.gaps)),
      'CPU time of the triage process per run (p50 / p95)': `${seconds(pct(measured.map((r) => r.cpuMs), 50))} / ${seconds(pct(measured.map((r) => r.cpuMs), 95))}`,
      'sessions read by (p50 / p95 from alarm)': stage((r) => r.sessionsDoneMs),
      'dumps read by (p50 / p95 from alarm)': stage((r) => r.dumpsDoneMs),
      'peak RSS of the triage process (maxRSS)': `${rssMiB} MiB (${mib(done.maxRssKiBBeforeRuns)} MiB after loading, before any run)`,
      'V8 heap used after the last run': `${Math.round(done.heapUsedAfter / 2 ** 20)} MiB`,
      'bot connections at once, max (sampled)': `${connections.maxAtOnce} named leakhound (${connections.maxOfRoleAtOnce} of role ${BOT_ROLE})`,
      'bot backends seen / runs': `${connections.distinctBackends} / ${WARMUPS + RUNS} (in ${connections.samplesWithBot} of ${connections.samples} samples, one every ~${connections.medianIntervalMs.toFixed(0)} ms, ${connections.medianSampleMs.toFixed(1)} ms each)`,
      'replica requests: goroutine / goroutineleak (404) / other': `${requests.goroutine} / ${requests.goroutineLeak} / ${requests.other} over ${requests.connections} TCP connections`,
      'load average 1/5/15 min, before / after runs (2 cores)': `${loadBefore} / ${loadAfter}`,
      'targets (p95 ≤ 5 s, RSS ≤ 512 MiB, 1 connection)': missed.length ? `MISSED: ${missed.join('; ')}` : 'met',
    };
  } finally {
    await sampler?.close().catch(() => undefined);
    await Promise.all(children.map((c) => c.stop()));
    await db?.stop();
  }
}
