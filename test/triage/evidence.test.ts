// What a verdict may rest on, on a real PostgreSQL: never the all-clear over evidence that was
// not read, and on a database shared by several applications, only the service's own sessions
// count, are offered for termination, and say how they were tied to it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog, type Catalog } from '../../lib/catalog/index.ts';
import { renderIncidentSummary } from '../../lib/slack/render/report.ts';
import { triageService, type Report } from '../../lib/triage/index.ts';
import { runCli } from '../support/cli.ts';
import { createScratchDb, type ScratchDb } from '../support/scratch-db.ts';

const LEAKING = readFileSync(new URL('../fixtures/dumps/go119-debug1.txt', import.meta.url));
// The same service, healthy: its background goroutines only.
const HEALTHY = `goroutine profile: total 3
1 @ 0x43a5d6 0x4b5e3a 0x46e2c1
#\t0x4b5e39\tdatabase/sql.(*DB).connectionOpener+0x99\t/usr/lib/go/src/database/sql/sql.go:1218

1 @ 0x43a5d6 0x46e2c1
#\t0x4b5e39\tmain.main+0x99\t/src/main.go:40

1 @ 0x43a5d6 0x46e2c1
#\t0x4b5e39\tnet/http.(*Server).Serve+0x99\t/usr/lib/go/src/net/http/server.go:3000
`;

let server: Server;
let base = '';
let closedPort = 0;
beforeAll(async () => {
  // A port nothing listens on: "connection refused".
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  server = createServer((req, res) => {
    if (req.url?.startsWith('/leaking')) return res.end(LEAKING);
    if (req.url?.startsWith('/healthy')) return res.end(HEALTHY);
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${a && typeof a === 'object' ? a.port : 0}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const catalogYaml = (dump: string) => `defaults:
  slackChannel: "#incidents"
  deadlineSeconds: 6
  dumps: { timeoutSeconds: 3 }
services:
  - name: billing-api
    database: { engine: postgres, url: { env: BILLING_DB } }
    dumps: { sources: [ { http: { urls: ["${dump}"] } } ] }
    slackChannel: "#billing"
`;

function catalogFor(dump: string, dbUrl: string): Catalog {
  const result = parseCatalog(catalogYaml(dump), 'evidence.yml', { env: { BILLING_DB: dbUrl } });
  if (!result.ok) throw result.error;
  return result.catalog;
}

const triage = (catalog: Catalog, dbUrl: string): Promise<Report> =>
  triageService({ catalog, service: catalog.services[0]!, minAgeMs: 0 }, { env: { BILLING_DB: dbUrl }, cloudwatch: null });

const UNREACHABLE_DB = 'postgres://nobody@127.0.0.1:1/none';

describe('never the all-clear over evidence that was not read', () => {
  let db: ScratchDb;
  beforeAll(async () => {
    db = await createScratchDb();
  });
  afterAll(() => db.drop());

  it('database and dumps unreachable: UNKNOWN naming both, exit 3 in the CLI, a warning (not green) header in Slack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lh-evidence-'));
    const config = join(dir, 'leakhound.yml');
    writeFileSync(config, catalogYaml(`http://127.0.0.1:${closedPort}/debug/pprof/goroutine`));
    const res = await runCli(['triage', '--config', config, '--service', 'billing-api'], { env: { BILLING_DB: UNREACHABLE_DB } });
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/VERDICT {2}Unknown: could not read the database \(.*refused.*\) or the dumps \(.*refused.*\)/i);
    expect(res.stdout).not.toMatch(/No leak/i);

    const report = await triage(catalogFor(`http://127.0.0.1:${closedPort}/debug/pprof/goroutine`, UNREACHABLE_DB), UNREACHABLE_DB);
    expect(report.verdict).toMatchObject({ kind: 'unknown', restsOn: { sessions: false, dumpsRead: 0, dumpsTotal: 1 } });
    const header = JSON.stringify(renderIncidentSummary(report, { incident: null }).blocks[0]);
    expect(header).toContain(':warning:');
    expect(header).not.toContain('green');
  });

  it('database read, dumps unreachable, nothing on the database: still UNKNOWN, saying the database shows no leak', async () => {
    const report = await triage(catalogFor(`http://127.0.0.1:${closedPort}/debug/pprof/goroutine`, db.url), db.url);
    expect(report.verdict.kind).toBe('unknown');
    expect(report.verdict.headline).toMatch(/could not read the dumps .*; the database sessions show no leak/);
  });

  it('dumps read, database unreachable, no leak in the dumps: UNKNOWN', async () => {
    const report = await triage(catalogFor(`${base}/healthy`, UNREACHABLE_DB), UNREACHABLE_DB);
    expect(report.verdict.kind).toBe('unknown');
    expect(report.verdict.headline).toMatch(/could not read the database .*; the dumps of all 1 replica show no leak/);
  });

  it('a leak found from the dumps alone says so', async () => {
    const report = await triage(catalogFor(`${base}/leaking`, UNREACHABLE_DB), UNREACHABLE_DB);
    expect(report.verdict.kind).toBe('tx-leak');
    expect(report.verdict.headline).toMatch(/\[from the dumps alone: the database could not be read\]/);
  });

  it('both read and both clean: "No leak found", green', async () => {
    const report = await triage(catalogFor(`${base}/healthy`, db.url), db.url);
    expect(report.verdict).toMatchObject({ kind: 'no-leak-found', restsOn: { sessions: true, dumpsRead: 1, dumpsTotal: 1, unread: [] } });
    expect(JSON.stringify(renderIncidentSummary(report, { incident: null }).blocks[0])).toContain(':large_green_circle:');
  });
});

describe('a database shared by several applications', () => {
  let db: ScratchDb;
  const clients: pg.Client[] = [];
  const pids: Record<string, number[]> = { billing: [], reports: [], unnamed: [] };

  /** Opens a session with this application_name and leaves a transaction open on it. */
  async function idleInTransaction(applicationName: string, sql: string): Promise<number> {
    const c = new pg.Client({ connectionString: db.url, application_name: applicationName });
    await c.connect();
    clients.push(c);
    await c.query('BEGIN');
    await c.query(sql);
    return (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  }

  beforeAll(async () => {
    db = await createScratchDb();
    // All three come from 127.0.0.1, the address of the service's replica.
    for (let i = 0; i < 2; i++) pids.billing!.push(await idleInTransaction('billing-api', `UPDATE accounts SET balance = balance - 5 WHERE id = ${i + 1}`));
    // Another application's transaction, holding a query with customer data.
    pids.reports!.push(await idleInTransaction('reports-cron', `SELECT * FROM orders WHERE customer = 'jane.doe@example.com'`));
    pids.reports!.push(await idleInTransaction('reports-cron - 127.0.0.1:5555', 'SELECT 1'));
    // No application_name: the address decides.
    pids.unnamed!.push(await idleInTransaction('', 'SELECT 2'));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db.drop();
  });

  it('counts only the service\'s sessions, says how each was tied, and offers only those for termination', async () => {
    const report = await triage(catalogFor(`${base}/leaking`, db.url), db.url);
    const mine = [...pids.billing!, ...pids.unnamed!].sort();
    const tx = report.findings.find((f) => f.kind === 'tx-leak')!;
    expect(tx.sessionIds.sort()).toEqual(mine);
    expect(tx.sessionIds).not.toContain(pids.reports![0]);
    const terminate = report.actions.find((a) => a.kind === 'terminate-sessions');
    expect(terminate?.sessionIds?.sort()).toEqual(mine);
    for (const pid of pids.reports!) expect(JSON.stringify(report.actions)).not.toContain(String(pid));

    const how = Object.fromEntries(report.sessions!.attribution.map((a) => [a.id, [a.by, a.offered]]));
    for (const pid of pids.billing!) expect(how[pid]).toEqual(['application_name', true]);
    // tied by address, and offered because that replica's own dump shows the transaction leak
    expect(how[pids.unnamed![0]!]).toEqual(['client_address', true]);
    expect(report.sessions!.otherApplications).toContainEqual({ application: 'reports-cron', sessions: 2, idleInTransaction: 2 });
    expect(JSON.stringify(report)).not.toContain('jane.doe');

    // each line of evidence once
    for (const f of report.findings) expect(new Set(f.evidence.map((e) => e.text)).size).toBe(f.evidence.length);
    expect(tx.evidence.map((e) => e.text).join('\n')).toMatch(/3 sessions idle in transaction .*2 by application_name billing-api, 1 by client address only/);
  });

  it('does not offer an unnamed session for termination when the replica at its address shows no leak', async () => {
    const report = await triage(catalogFor(`${base}/healthy`, db.url), db.url);
    const offered = report.actions.find((a) => a.kind === 'terminate-sessions')?.sessionIds ?? [];
    expect(offered.sort()).toEqual([...pids.billing!].sort());
    expect(offered).not.toContain(pids.unnamed![0]);
    expect(report.findings.flatMap((f) => f.evidence.map((e) => e.text)).join('\n')).toMatch(/tied to the service only by client address.*not offered for termination/);
    expect(report.findings.flatMap((f) => f.sessionIds)).not.toContain(pids.reports![0]);
  });
});
