// End to end with real parts: the leaking Go service on the machine's PostgreSQL, an SNS
// CloudWatch alarm, the catalog's mapping, and triage, producing a Report naming the route.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlerts } from '../../lib/alerts/index.ts';
import { loadCatalog, type Catalog } from '../../lib/catalog/index.ts';
import { rdsConnectionsAlarmEvent } from '../../lib/demo/alarm.ts';
import { triageAlert, type Report } from '../../lib/triage/index.ts';
import { buildGoService, goVersion, type GoService, type ParkedRequest } from '../../lib/demo/run-goservice.ts';
import { startLeakingBillingApi } from '../support/leaking-incident.ts';
import { createScratchDb, isPostgresAvailable, type ScratchDb } from '../support/scratch-db.ts';
import { runCli } from '../support/cli.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const [go, pgUp] = await Promise.all([goVersion(), isPostgresAvailable()]);

describe.runIf(required || (go !== null && pgUp))('alarm in, Report out (Go service + PostgreSQL 15)', () => {
  let db: ScratchDb | undefined;
  let svc: GoService | undefined;
  let catalog: Catalog;
  let catalogPath = '';
  const parked: ParkedRequest[] = [];
  const env = { ...process.env } as Record<string, string>;

  beforeAll(async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing');
    if (!pgUp) throw new Error('LEAKHOUND_REQUIRE_ALL is set but PostgreSQL is not reachable on 127.0.0.1:5432');
    await buildGoService();
    db = await createScratchDb();
    const leaking = await startLeakingBillingApi(db.dsn);
    svc = leaking.svc;
    parked.push(...leaking.parked);
    env.E2E_DATABASE_URL = db.dsn;
    const dir = mkdtempSync(join(tmpdir(), 'lh-triage-'));
    catalogPath = join(dir, 'leakhound.yml');
    writeFileSync(
      catalogPath,
      `defaults: { slackChannel: "#incidents", deadlineSeconds: 8 }
services:
  - name: billing-api
    database: { engine: postgres, url: { env: E2E_DATABASE_URL }, rds: { instance: orders-e2e } }
    dumps: { sources: [ { http: { urls: ["${svc.url}"] } } ] }
    slackChannel: "#billing"
    restart: { command: { argv: ["true"] } }
    approvers: { users: [U0APPROVE1, U0APPROVE2] }
`,
    );
    const loaded = await loadCatalog(catalogPath, env);
    if (!loaded.ok) throw loaded.error;
    catalog = loaded.catalog;
  });

  afterAll(async () => {
    for (const p of parked) p.abort();
    await svc?.stop();
    await db?.drop();
  });

  async function triage(): Promise<Report> {
    const parsed = parseAlerts(rdsConnectionsAlarmEvent({ instance: 'orders-e2e', value: 90, threshold: 80 }));
    if (!parsed.ok) throw new Error(parsed.error.message);
    const reports = await triageAlert(catalog, parsed.alerts[0]!, { env, cloudwatch: null }, { minAgeMs: 0 });
    expect(reports).toHaveLength(1);
    return reports[0]!;
  }

  it('names the leaking route, corroborated by the idle-in-transaction sessions', async () => {
    const r = await triage();
    expect(r.service).toBe('billing-api');
    expect(r.alert?.name).toBe('orders-e2e-db-connections-high');
    expect(r.verdict).toMatchObject({ kind: 'tx-leak', confidence: 'high', culprit: { labels: { route: '/transfer' } } });
    expect(r.verdict.headline).toMatch(/^Transaction leak in route=\/transfer method=POST: 3 transactions never committed or rolled back/);
    const tx = r.findings.find((f) => f.kind === 'tx-leak')!;
    expect(tx.sessionIds).toHaveLength(3);
    // Goroutines, the idle-in-transaction sessions, and the route their last statements' SQL comment names.
    expect(tx.evidence.map((e) => e.source)).toEqual(['goroutines', 'sessions', 'sessions']);
    expect(tx.evidence[2]!.text).toBe("all 3 last statements carry the SQL comment route='/transfer' action='transfer' (sqlcommenter)");
    expect(tx.fingerprints[0]).toMatch(/\?/); // the last statement, fingerprinted
  });

  it('finds the rows leaked under context.Background() from the database side only', async () => {
    const r = await triage();
    const idle = r.findings.find((f) => f.kind === 'idle-connections');
    expect(idle?.count).toBe(1);
    expect(idle?.fingerprints[0]).toMatch(/^SELECT .* FROM orders/);
  });

  it('lists the victims, the replica row and the actions', async () => {
    const r = await triage();
    expect(r.findings.find((f) => f.kind === 'pool-exhausted')).toMatchObject({ count: 3, culprit: { function: 'main.(*orderStore).recent' } });
    expect(r.replicas).toEqual([expect.objectContaining({ address: '127.0.0.1', leakedTransactions: 3, poolWaiters: 3, idleInTransaction: 3, status: 'ok' })]);
    expect(r.actions.map((a) => a.kind)).toEqual(expect.arrayContaining(['terminate-sessions', 'restart', 'code-fix', 'database-setting']));
    expect(r.gaps).toEqual([expect.objectContaining({ source: 'metrics' })]);
    expect(r.elapsedMs).toBeLessThan(r.deadlineMs);
  });

  it('never carries a literal of the leaked statements', async () => {
    const text = JSON.stringify(await triage());
    expect(text).not.toContain('5000'); // the transfer amount
    expect(text).not.toMatch(/customer-\d/);
    expect(text).not.toContain(db!.dsn);
  });

  it('`leakhound triage --alert` maps the alarm through the catalog', async () => {
    const alertFile = join(mkdtempSync(join(tmpdir(), 'lh-alert-')), 'alarm.json');
    writeFileSync(alertFile, JSON.stringify(rdsConnectionsAlarmEvent({ instance: 'orders-e2e', value: 90, threshold: 80 })));
    const res = await runCli(['triage', '--config', catalogPath, '--alert', alertFile, '--min-age', '0s'], { env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/VERDICT {2}Transaction leak in route=\/transfer method=POST/);
  });
});
