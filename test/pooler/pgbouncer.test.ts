// The Go service behind a real PgBouncer, leaking: pg_stat_activity shows every pooled session as
// `local` (PgBouncer reaches PostgreSQL over its Unix socket), yet the Report names the replica
// and the route as it does without the pooler, because triage joins each backend to its client
// through the admin console (SHOW SERVERS remote_pid → link → SHOW CLIENTS addr:port).
// Two replicas on their own loopback addresses; only the first leaks.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../lib/catalog/index.ts';
import { renderReportText } from '../../lib/cli/report-text.ts';
import { renderReportDetails } from '../../lib/slack/render/report.ts';
import { takeSnapshot, terminateSessions, terminationTargetFor, type Snapshot } from '../../lib/sessions/index.ts';
import { triageService, type Report } from '../../lib/triage/index.ts';
import { buildGoService, goVersion, leaks, startGoService, type GoService, type ParkedRequest } from '../../lib/demo/run-goservice.ts';
import { shouldRunPgBouncerSuite, startPgBouncer, type PgBouncer } from '../support/pgbouncer.ts';
import { createScratchDb, isPostgresAvailable, type ScratchDb } from '../support/scratch-db.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const [go, pgUp, bouncerOk] = await Promise.all([goVersion(), isPostgresAvailable(), shouldRunPgBouncerSuite()]);
const runnable = required || (go !== null && pgUp && bouncerOk);

function catalogFor(services: GoService[], env: Record<string, string>, withPooler: boolean): Promise<Catalog> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-pooler-'));
  const path = join(dir, 'leakhound.yml');
  writeFileSync(
    path,
    `defaults: { slackChannel: "#incidents", deadlineSeconds: 8, dumps: { metricsIntervalSeconds: 1 } }
services:
  - name: billing-api
    database:
      engine: postgres
      url: { env: PGB_DATABASE_URL }
${withPooler ? '      pgbouncer: { admin: { env: PGB_ADMIN_URL } }\n' : ''}    dumps: { sources: [ { http: { urls: [${services.map((s) => `"${s.url}"`).join(', ')}] } } ] }
`,
  );
  return loadCatalog(path, env).then((r) => {
    if (!r.ok) throw r.error;
    return r.catalog;
  });
}

async function triage(catalog: Catalog, env: Record<string, string>, captured: { snapshot: Snapshot | null }): Promise<Report> {
  return triageService(
    { catalog, service: catalog.services[0]!, minAgeMs: 0 },
    { env, cloudwatch: null, snapshot: async (url, timeoutMs) => (captured.snapshot = await takeSnapshot(url, { timeoutMs, minAgeMs: 0 })) },
  );
}

/** Sends one /orders to `svc` every 150 ms for `ms` (they park: its pool is full), bounded. */
function keepParking(svc: GoService, parked: ParkedRequest[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    const timer = setInterval(() => {
      parked.push(leaks.parkOrders(svc, `customer-${n % 3}`));
      if (++n * 150 >= ms || n >= 30) {
        clearInterval(timer);
        resolve();
      }
    }, 150);
  });
}

describe.runIf(runnable)('behind PgBouncer in transaction mode, a service that sets no application_name', () => {
  let db: ScratchDb | undefined;
  let bouncer: PgBouncer | undefined;
  const replicas: GoService[] = [];
  const parked: ParkedRequest[] = [];
  const env = { ...process.env } as Record<string, string>;
  let report: Report;
  const captured: { snapshot: Snapshot | null } = { snapshot: null };
  let triageMs = 0;

  beforeAll(async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing');
    if (!pgUp) throw new Error('LEAKHOUND_REQUIRE_ALL is set but PostgreSQL is not reachable on 127.0.0.1:5432');
    await buildGoService();
    db = await createScratchDb();
    // application_name_add_host off: with it on, PgBouncer 1.18 names a client that set no
    // application_name after an earlier client ("app - 127.0.0.2:41234"), which is no one's name.
    bouncer = await startPgBouncer({ database: db.name, poolMode: 'transaction', poolSize: 4, addHost: false });
    for (const ip of ['127.0.0.2', '127.0.0.3']) {
      replicas.push(await startGoService({ dsn: bouncer.url(db.name, ''), maxOpen: 4, args: ['-listen', `${ip}:0`, '-db-source-addr', ip] }));
    }
    const [leaky, clean] = replicas as [GoService, GoService];
    // Four transactions left open pin all four of PgBouncer's server connections and fill the
    // leaky replica's own pool.
    for (let i = 0; i < 4; i++) await leaks.transfer(leaky);
    // The clean replica's callers now wait inside PgBouncer (cl_waiting): the pooler's victims.
    for (let i = 0; i < 2; i++) parked.push(leaks.parkOrders(clean, `customer-${i}`));
    await clean.waitFor('clients waiting in PgBouncer', async () => (await bouncer!.show('POOLS')).some((p) => Number(p.cl_waiting) >= 2), 10_000);
    env.PGB_DATABASE_URL = db.url;
    env.PGB_ADMIN_URL = bouncer.adminUrl;
    const catalog = await catalogFor(replicas, env, true);
    // Callers keep arriving at the leaky replica while it is triaged: its waits grow between the
    // two scrapes of its metrics.
    const arriving = keepParking(leaky, parked, 2_000);
    const started = Date.now();
    report = await triage(catalog, env, captured);
    triageMs = Date.now() - started;
    await arriving;
  }, 120_000);

  afterAll(async () => {
    for (const p of parked) p.abort();
    for (const r of replicas) await r.stop();
    await bouncer?.stop();
    await db?.drop();
  });

  it('pg_stat_activity alone shows the leaked sessions as the pooler\'s: local, with no application of their own', () => {
    // The snapshot lists the whole (shared) server: other suites' sessions are on their own databases.
    const open = captured.snapshot!.sessions.filter((s) => s.state === 'idle_in_transaction' && s.database === db!.name);
    expect(open).toHaveLength(4);
    for (const s of open) {
      expect(s.clientAddress).toBe('local');
      expect(s.application ?? '').not.toMatch(/billing/);
    }
  });

  it('names the route and the leaking replica as without the pooler', () => {
    expect(report.verdict).toMatchObject({ kind: 'tx-leak', culprit: { labels: { route: '/transfer' } } });
    expect(report.verdict.headline).toMatch(/^Transaction leak in route=\/transfer method=POST: 4 transactions never committed or rolled back/);
    const [leaky, clean] = replicas as [GoService, GoService];
    const rowA = report.replicas.find((r) => r.address === '127.0.0.2')!;
    const rowB = report.replicas.find((r) => r.address === '127.0.0.3')!;
    expect(rowA.replica).toBe(new URL(leaky.url).host);
    expect(rowA).toMatchObject({ sessions: 4, idleInTransaction: 4, leakedTransactions: 4 });
    expect(rowB).toMatchObject({ sessions: 0, idleInTransaction: 0, leakedTransactions: 0 });
    expect(rowB.replica).toBe(new URL(clean.url).host);
    const tx = report.findings.find((f) => f.kind === 'tx-leak')!;
    expect(tx.sessionIds).toHaveLength(4);
    const through = tx.evidence.find((e) => e.text.includes('through PgBouncer'))!.text;
    expect(through).toMatch(/^all 4 reach the database through PgBouncer \(transaction pooling: an open transaction pins its server connection\)/);
    expect(through).toContain(`of replica ${rowA.replica}`);
    // The last statement carries its route in a sqlcommenter comment; the fingerprint keeps no value.
    expect(tx.fingerprints[0]).toBe("SELECT balance FROM accounts WHERE id = ? AND status = ?");
    expect(tx.evidence.map((e) => e.text)).toContain("all 4 last statements carry the SQL comment route='/transfer' action='transfer' (sqlcommenter)");
  });

  it('ties the sessions by the client address PgBouncer saw, and offers them for termination (that replica\'s dump shows the leak)', () => {
    const ids = report.findings.find((f) => f.kind === 'tx-leak')!.sessionIds;
    const ties = report.sessions!.attribution.filter((a) => ids.includes(a.id));
    expect(ties.map((a) => [a.by, a.clientAddress, a.offered])).toEqual(ids.map(() => ['client_address', '127.0.0.2', true]));
    expect(report.actions.find((a) => a.kind === 'terminate-sessions')?.sessionIds?.sort()).toEqual([...ids].sort());
  });

  it('shows the pooler: transaction mode, the links, and the clean replica\'s callers waiting in PgBouncer', () => {
    const b = report.pooler!.pgbouncer!;
    expect(b.version).toMatch(/^PgBouncer \d+\.\d+/);
    const pool = b.pools.find((p) => p.database === db!.name)!;
    expect(pool).toMatchObject({ mode: 'transaction', serversActive: 4 });
    expect(pool.clientsWaiting).toBeGreaterThanOrEqual(2);
    expect(b.links.filter((l) => l.client !== null)).toHaveLength(4);
    expect(b.links.every((l) => l.clientAddress === '127.0.0.2' && l.mode === 'transaction')).toBe(true);
    const clean = report.replicas.find((r) => r.address === '127.0.0.3')!;
    expect(b.waiting).toContainEqual(expect.objectContaining({ address: '127.0.0.3', replica: clean.replica }));
    expect(report.findings[0]!.evidence.some((e) => /PgBouncer pool .*client.* waiting for a server connection .*the pooler's victims/.test(e.text))).toBe(true);
  });

  it('reads each replica\'s own pool from client_golang\'s DBStats: the leaky one full and starving', () => {
    const a = report.replicas.find((r) => r.address === '127.0.0.2')!.pool!;
    expect(a).toMatchObject({ collector: 'client_golang', inUse: 4, max: 4, full: true, starving: true });
    expect(a.waitsGrew).toBeGreaterThan(0);
    expect(a.intervalSeconds).toBeGreaterThanOrEqual(1);
    const b = report.replicas.find((r) => r.address === '127.0.0.3')!.pool!;
    expect(b).toMatchObject({ collector: 'client_golang', max: 4, full: false });
    const exhausted = report.findings.find((f) => f.kind === 'pool-exhausted')!;
    expect(exhausted.evidence.some((e) => e.source === 'metrics' && e.text.includes('is full (4/4 in use'))).toBe(true);
  });

  it('prints the new evidence in the terminal and in Slack, without the admin password', () => {
    const text = renderReportText(report);
    expect(text).toContain('Pooler');
    expect(text).toMatch(/in-use\s+idle\s+max\s+waits/);
    expect(text).toContain('through PgBouncer');
    const slack = JSON.stringify(renderReportDetails(report, { incident: null }));
    expect(slack).toContain('*Pooler*');
    expect(slack).toContain('through PgBouncer');
    for (const out of [text, slack, JSON.stringify(report)]) expect(out).not.toContain(bouncer!.adminPassword);
    if (process.env.LEAKHOUND_POOLER_REPORT) writeFileSync(process.env.LEAKHOUND_POOLER_REPORT, `${text}\n(triage took ${triageMs} ms)\n`);
  });

  it('ends the leaked backends with pg_terminate_backend and today\'s guards; PgBouncer then serves its waiting clients', async () => {
    const ids = new Set(report.actions.find((a) => a.kind === 'terminate-sessions')!.sessionIds);
    const targets = captured.snapshot!.sessions.filter((s) => ids.has(s.id)).flatMap((s) => terminationTargetFor(s, 0) ?? []);
    expect(targets).toHaveLength(4);
    const result = await terminateSessions(db!.url, targets);
    expect(result.results.map((r) => r.outcome)).toEqual(['terminated', 'terminated', 'terminated', 'terminated']);
    // The guards still hold: a second run finds them gone and ends nothing.
    const again = await terminateSessions(db!.url, targets);
    expect(again.results.every((r) => r.outcome === 'skipped' && r.reason.startsWith('gone'))).toBe(true);
    await replicas[1]!.waitFor('no client waiting in PgBouncer', async () => (await bouncer!.show('POOLS')).every((p) => Number(p.cl_waiting) === 0), 15_000);
  });
});

describe.runIf(runnable)('behind PgBouncer in session mode, a service that names itself (application_name_add_host on)', () => {
  let db: ScratchDb | undefined;
  let bouncer: PgBouncer | undefined;
  let svc: GoService | undefined;
  const parked: ParkedRequest[] = [];
  const env = { ...process.env } as Record<string, string>;
  let report: Report;

  beforeAll(async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing');
    await buildGoService();
    db = await createScratchDb();
    bouncer = await startPgBouncer({ database: db.name, poolMode: 'session', poolSize: 6, addHost: true });
    svc = await startGoService({ dsn: bouncer.url(db.name, 'billing-api'), maxOpen: 3, args: ['-listen', '127.0.0.4:0', '-db-source-addr', '127.0.0.4'] });
    // Two transactions left open, and one result set under context.Background(): no goroutine
    // holds it, only its idle session, whose last statement names its route in a comment.
    for (let i = 0; i < 2; i++) await leaks.transfer(svc);
    await leaks.export(svc);
    for (let i = 0; i < 3; i++) parked.push(leaks.parkOrders(svc, `customer-${i}`));
    await svc.waitFor('callers parked', async () => (await svc!.stats()).waitCount >= 3);
    env.PGB_DATABASE_URL = db.url;
    env.PGB_ADMIN_URL = bouncer.adminUrl;
    report = await triage(await catalogFor([svc], env, true), env, { snapshot: null });
  }, 120_000);

  afterAll(async () => {
    for (const p of parked) p.abort();
    await svc?.stop();
    await bouncer?.stop();
    await db?.drop();
  });

  it('attributes by the name the client set (PgBouncer\'s " - addr:port" suffix ignored), in session mode', () => {
    expect(report.verdict).toMatchObject({ kind: 'tx-leak', culprit: { labels: { route: '/transfer' } } });
    const links = report.pooler!.pgbouncer!.links.filter((l) => l.client !== null);
    expect(links.length).toBeGreaterThanOrEqual(3);
    expect(links.every((l) => l.mode === 'session' && l.clientAddress === '127.0.0.4' && /^billing-api - 127\.0\.0\.4:\d+$/.test(l.application ?? ''))).toBe(true);
    const tx = report.findings.find((f) => f.kind === 'tx-leak')!;
    expect(report.sessions!.attribution.filter((a) => tx.sessionIds.includes(a.id)).every((a) => a.by === 'application_name' && a.offered)).toBe(true);
    expect(report.replicas[0]).toMatchObject({ idleInTransaction: 2 });
  });

  it('pins the rows leaked under context.Background() to their route through the SQL comment', () => {
    const idle = report.findings.find((f) => f.kind === 'idle-connections')!;
    expect(idle).toBeDefined();
    expect(idle.culprit).toMatchObject({ evidence: 'labels', labels: { route: '/export', action: 'exportOrders' } });
    expect(idle.fingerprints[0]).not.toMatch(/route|export'/);
    expect(idle.evidence.map((e) => e.text)).toContain("its last statement carry the SQL comment route='/export' action='exportOrders' (sqlcommenter)");
  });
});
