// The PostgreSQL situations, created for real on a given server (the machine's PostgreSQL 15 and
// an embedded PostgreSQL 18 run the same suite): open and aborted transactions, a long
// pg_sleep, a lock waiter and its blocker, idle sessions of a full pool, literal-bearing queries.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type pg from 'pg';
import { takeSnapshot, terminateSessions, terminationTargetFor, verdictOf, type Session, type Snapshot } from '../../lib/sessions/index.ts';
import { endAll, leaked, pgClient, sleep, uniqueSuffix, waitFor, withCredentials } from '../support/db-sessions.ts';

// Literals the sessions' statements carry; none may appear anywhere in a snapshot.
const SECRETS = ['alice.secret@example.com', '424242', 'bob-aborted-secret', 'carol-sleep-secret', '31337', 'dave-waiter-secret', '8675309'];

export interface PgServer {
  adminUrl: string;
  /** Server major version, to check the capacity figures. */
  major: number;
}

export function postgresScenario(getServer: () => Promise<PgServer>): void {
  const sfx = uniqueSuffix();
  const db = `lh_sess_${sfx}`;
  const appRole = `lh_app_${sfx}`;
  const noMonitorRole = `lh_nomon_${sfx}`;
  const monitorOnlyRole = `lh_monly_${sfx}`;
  const appPassword = `app-pw-${sfx}`;
  const app = {
    billing: `billing-api-${sfx}`,
    report: `report-worker-${sfx}`,
    orders: `orders-api-${sfx}`,
    cache: `cache-warmer-${sfx}`,
    healthy: `healthy-app-${sfx}`,
  };
  let server: PgServer;
  let admin: pg.Client;
  let appUrl: string;
  const clients: pg.Client[] = [];
  const pids: Record<string, number> = {};
  const since: Record<string, number> = {};
  let snapshot: Snapshot;
  const background: Promise<unknown>[] = [];

  async function open(name: string, application: string, statements: string[]): Promise<pg.Client> {
    const c = await pgClient(appUrl, application);
    clients.push(c);
    const r = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    pids[name] = r.rows[0]!.pid;
    for (const sql of statements) await c.query(sql).catch(() => undefined);
    since[name] = Date.now();
    return c;
  }

  beforeAll(async () => {
    server = await getServer();
    admin = await pgClient(server.adminUrl, 'lh-test-admin');
    await admin.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${appPassword}'`);
    await admin.query(`CREATE ROLE ${noMonitorRole} LOGIN PASSWORD '${appPassword}'`);
    await admin.query(`CREATE ROLE ${monitorOnlyRole} LOGIN PASSWORD '${appPassword}' IN ROLE pg_monitor`);
    await admin.query(`CREATE DATABASE ${db} OWNER ${appRole}`);
    appUrl = withCredentials(server.adminUrl, appRole, appPassword, db);
    const setup = await pgClient(appUrl, 'lh-test-setup');
    await setup.query(`CREATE TABLE lh_accounts (id int PRIMARY KEY, email text, balance int)`);
    await setup.query(`INSERT INTO lh_accounts SELECT g, 'user' || g || '@example.com', 100 FROM generate_series(1, 10) g`);
    await setup.end();

    await open('tx', app.billing, ['BEGIN', `SELECT id, balance FROM lh_accounts WHERE email = 'alice.secret@example.com' AND id = 424242`]);
    await open('aborted', app.billing, ['BEGIN', `SELECT 'bob-aborted-secret'::int`]);
    const sleeper = await open('sleep', app.report, []);
    background.push(sleeper.query(`SELECT pg_sleep(25), 'carol-sleep-secret' AS tag`).catch(() => undefined));
    // Ages are lower bounds from the moment we saw the statement running on the server.
    await waitFor(
      async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, [pids.sleep])).rowCount === 1,
      5_000,
      'the sleeping query',
    );
    since.sleep = Date.now();
    await open('blocker', app.orders, ['BEGIN', 'UPDATE lh_accounts SET balance = balance + 1 WHERE id = 1']);
    const waiter = await open('waiter', app.orders, [`SET statement_timeout = '25s'`]);
    background.push(waiter.query(`UPDATE lh_accounts SET balance = 0 WHERE id = 1 OR email = 'dave-waiter-secret'`).catch(() => undefined));
    for (const n of ['cache1', 'cache2', 'cache3']) {
      await open(n, app.cache, ['SELECT * FROM lh_accounts WHERE id IN (1, 2, 3, 31337)']);
    }
    await open('healthy', app.healthy, ['SELECT 8675309']);
    await waitFor(
      async () =>
        (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pids.waiter])).rowCount === 1,
      5_000,
      'the lock waiter',
    );
    since.waiter = Date.now();
    // Real elapsed time, no backdating: every suspect below is at least this old.
    await sleep(1_600);
    snapshot = await takeSnapshot(server.adminUrl, {
      minAgeMs: 1_000,
      poolSizes: { [app.cache]: 3, [app.healthy]: 10 },
    });
  });

  afterAll(async () => {
    await endAll(clients);
    await Promise.allSettled(background);
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${appRole}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${noMonitorRole}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${monitorOnlyRole}`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    }
  });

  const session = (name: string): Session => {
    const s = snapshot.sessions.find((x) => x.id === pids[name]);
    if (!s) throw new Error(`session ${name} (pid ${pids[name]}) not in the snapshot`);
    return s;
  };
  const suspectsOf = (name: string) => snapshot.suspects.filter((s) => s.sessionId === pids[name]);
  const elapsed = (name: string, snapshotAt: number) => snapshotAt - since[name]! - 50;

  it('reads capacity and every session with its state, application and ages', () => {
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.engine).toBe('postgres');
    expect(snapshot.serverVersion).toMatch(new RegExp(`^PostgreSQL ${server.major}\\.`));
    const cap = snapshot.capacity!;
    expect(cap.inUse).toBeGreaterThanOrEqual(9);
    expect(cap.availableToApplications).toBe(cap.maxConnections - cap.reservedForSuperusers - (cap.reservedForRoles ?? 0));
    if (server.major >= 16) expect(cap.reservedForRoles).not.toBeNull();
    else expect(cap.reservedForRoles).toBeNull();

    const at = Date.parse(snapshot.takenAt);
    const tx = session('tx');
    expect(tx).toMatchObject({ state: 'idle_in_transaction', application: app.billing, user: appRole, database: db, visible: true });
    expect(tx.clientAddress).toBe('127.0.0.1');
    expect(tx.clientPort).toBeGreaterThan(0);
    expect(tx.backendStart).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(tx.transactionAgeMs).toBeGreaterThanOrEqual(elapsed('tx', at));
    expect(tx.stateAgeMs).toBeGreaterThanOrEqual(elapsed('tx', at));
    expect(tx.connectionAgeMs!).toBeGreaterThanOrEqual(tx.transactionAgeMs!);
    expect(tx.transactionAgeMs).toBeLessThan(60_000);
    expect(tx.waitEventType).toBe('Client');
    expect(tx.fingerprint).toBe('SELECT id, balance FROM lh_accounts WHERE email = ? AND id = ?');

    expect(session('aborted').state).toBe('idle_in_transaction_aborted');
    const sleeper = session('sleep');
    expect(sleeper.state).toBe('active');
    expect(sleeper.queryAgeMs).toBeGreaterThanOrEqual(elapsed('sleep', at));
    expect(sleeper.fingerprint).toBe('SELECT pg_sleep(?), ? AS tag');
    expect(session('waiter').blockedBy).toEqual([pids.blocker]);
    expect(session('waiter').waitEventType).toBe('Lock');
    expect(session('cache1')).toMatchObject({ state: 'idle', fingerprint: 'SELECT * FROM lh_accounts WHERE id IN (?)' });
    expect(session('healthy').state).toBe('idle');
  });

  it('classifies open, aborted, long, locked and full-pool sessions, and nothing else of ours', () => {
    const at = Date.parse(snapshot.takenAt);
    expect(suspectsOf('tx')).toEqual([expect.objectContaining({ kind: 'open_transaction', app: app.billing, aborted: false })]);
    expect(suspectsOf('tx')[0]!.ageMs).toBeGreaterThanOrEqual(elapsed('tx', at));
    expect(suspectsOf('aborted')).toEqual([expect.objectContaining({ kind: 'open_transaction', aborted: true })]);
    expect(suspectsOf('aborted')[0]!.reason).toMatch(/aborted/);
    expect(suspectsOf('sleep')).toEqual([expect.objectContaining({ kind: 'long_query', app: app.report })]);
    expect(suspectsOf('waiter')).toEqual([expect.objectContaining({ kind: 'lock_waiter', blockedBy: [pids.blocker] })]);
    expect(suspectsOf('waiter')[0]!.ageMs).toBeGreaterThanOrEqual(elapsed('waiter', at));
    expect(suspectsOf('blocker').map((s) => s.kind).sort()).toEqual(['lock_blocker', 'open_transaction']);
    expect(suspectsOf('blocker').find((s) => s.kind === 'lock_blocker')!.blocks).toEqual([pids.waiter]);
    for (const n of ['cache1', 'cache2', 'cache3']) {
      expect(suspectsOf(n)).toEqual([expect.objectContaining({ kind: 'idle_in_full_pool', app: app.cache })]);
    }
    expect(suspectsOf('healthy')).toEqual([]);

    const billing = snapshot.groups.byApplication.find((g) => g.key === app.billing)!;
    expect(billing).toMatchObject({ count: 2, byState: { idle_in_transaction: 1, idle_in_transaction_aborted: 1 } });
    expect(billing.oldestTransactionMs).toBeGreaterThanOrEqual(elapsed('tx', at));
    expect(snapshot.groups.byFingerprint.find((g) => g.key === 'SELECT * FROM lh_accounts WHERE id IN (?)')?.count).toBe(3);

    const verdict = verdictOf(snapshot);
    expect(['suspect', 'near_full', 'full']).toContain(verdict.level);
    expect(verdict.headline).toMatch(/^(SUSPECT|NEAR FULL|FULL): \d+\/\d+ connections/);
  });

  it('lets no literal, and no password, out of the snapshot', () => {
    const json = JSON.stringify(snapshot);
    expect(leaked(json, [...SECRETS, appPassword, new URL(server.adminUrl).password].filter(Boolean))).toEqual([]);
  });

  it('says so when the role lacks pg_monitor, and still counts the sessions', async () => {
    const url = withCredentials(server.adminUrl, noMonitorRole, appPassword, db);
    const snap = await takeSnapshot(url, { minAgeMs: 1_000 });
    expect(snap.problems).toEqual([expect.objectContaining({ kind: 'insufficient_privilege', fatal: false, code: 'pg_monitor' })]);
    expect(snap.problems[0]!.remedy).toContain(`GRANT pg_monitor TO ${noMonitorRole}`);
    const hidden = snap.sessions.find((s) => s.id === pids.tx)!;
    expect(hidden).toMatchObject({ state: 'hidden', visible: false, fingerprint: null, application: app.billing });
    expect(snap.capacity!.inUse).toBeGreaterThanOrEqual(9);
    expect(snap.suspects.filter((s) => Object.values(pids).includes(s.sessionId))).toEqual([]);
    expect(leaked(JSON.stringify(snap), [...SECRETS, appPassword])).toEqual([]);
  });

  it('refuses to terminate what it cannot see, and names pg_signal_backend when it may not signal', async () => {
    const target = terminationTargetFor(session('aborted'), 1_000)!;
    const blind = await terminateSessions(withCredentials(server.adminUrl, noMonitorRole, appPassword, db), [target]);
    expect(blind.results).toEqual([expect.objectContaining({ outcome: 'skipped', reason: expect.stringMatching(/^hidden: .*pg_monitor/) })]);
    const unarmed = await terminateSessions(withCredentials(server.adminUrl, monitorOnlyRole, appPassword, db), [target]);
    expect(unarmed.results).toEqual([expect.objectContaining({ outcome: 'failed' })]);
    expect(unarmed.problems).toEqual([expect.objectContaining({ kind: 'insufficient_privilege', code: '42501' })]);
    expect(unarmed.problems[0]!.remedy).toContain(`GRANT pg_signal_backend TO ${monitorOnlyRole}`);
    const still = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pids.aborted]);
    expect(still.rowCount).toBe(1);
  });

  it('terminates only sessions that still match: not a reused pid, a changed state or a too-young idle', async () => {
    const target = (name: string, minIdleMs = 1_000) => terminationTargetFor(session(name), minIdleMs)!;
    const reusedPid = { ...target('aborted'), backendStart: '2001-02-03T04:05:06.000007Z' };
    const changedState = { ...target('healthy'), expect: 'idle_in_transaction' as const };
    const tooYoung = target('cache1', 3_600_000);
    const gone = { ...target('cache2'), id: 2_000_000_000 };
    const report = await terminateSessions(server.adminUrl, [target('tx'), reusedPid, changedState, tooYoung, gone]);
    expect(report.problems).toEqual([]);
    const byId = new Map(report.results.map((r) => [r.id, r]));
    expect(byId.get(pids.tx!)!.outcome).toBe('terminated');
    expect(byId.get(pids.aborted!)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/pid reused/) });
    expect(byId.get(pids.healthy!)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/state changed: now idle/) });
    expect(byId.get(pids.cache1!)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/not idle long enough/) });
    expect(byId.get(2_000_000_000)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/gone/) });

    const alive = async () =>
      (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)', [Object.values(pids)])).rows.map((r) => r.pid);
    await waitFor(async () => !(await alive()).includes(pids.tx!), 5_000, 'the terminated backend to exit');
    const left = await alive();
    for (const n of ['aborted', 'healthy', 'cache1', 'cache2', 'blocker']) expect(left).toContain(pids[n]);
  });
}
