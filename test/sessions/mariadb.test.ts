// The MySQL-side situations on the machine's MariaDB: a transaction left open by a Sleep thread,
// a long SLEEP(), a lock waiter and its blocker, literal-bearing queries, the monitoring user
// from infra/grants/mysql.sql, a user without PROCESS, bad credentials, guarded KILL.
import { readFile } from 'node:fs/promises';
import mysql from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeSnapshot, terminateSessions, terminationTargetFor, type Session, type Snapshot } from '../../lib/sessions/index.ts';
import { assertAvailable, leaked, MARIADB_URL, mysqlReachable, skipUnless, sleep, uniqueSuffix, waitFor, withCredentials } from '../support/db-sessions.ts';

const available = await mysqlReachable(MARIADB_URL);
const SECRETS = ['erin.secret@example.com', '515151', 'frank-sleep-secret', 'gina-waiter-secret', '8675309'];

type Conn = ReturnType<typeof mysql.createConnection>;

describe.skipIf(skipUnless(available))('sessions on MariaDB (system server)', () => {
  const sfx = uniqueSuffix();
  const db = `lh_sess_${sfx}`;
  const appUser = `lh_app_${sfx}`;
  const monitorUser = `lh_mon_${sfx}`;
  const noProcessUser = `lh_np_${sfx}`;
  const pw = `pw-${sfx}`;
  let root: Conn;
  const conns: Conn[] = [];
  const ids: Record<string, number> = {};
  const since: Record<string, number> = {};
  const background: Promise<unknown>[] = [];
  let snapshot: Snapshot;
  let monitorUrl: string;

  const q = (c: Conn, sql: string) => c.promise().query(sql);

  async function open(name: string, statements: string[]): Promise<Conn> {
    const c = mysql.createConnection({ uri: withCredentials(MARIADB_URL, appUser, pw, db) });
    c.on('error', () => undefined);
    conns.push(c);
    await q(c, 'SELECT 1');
    ids[name] = c.threadId!;
    await q(c, 'SET SESSION innodb_lock_wait_timeout = 5');
    for (const sql of statements) await q(c, sql);
    since[name] = Date.now();
    return c;
  }

  async function running(id: number, command: string): Promise<boolean> {
    const [rows] = await root.promise().query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND = ?', [id, command]);
    return (rows as unknown[]).length === 1;
  }

  beforeAll(async () => {
    assertAvailable(available, `MariaDB at ${MARIADB_URL}`);
    root = mysql.createConnection({ uri: MARIADB_URL, multipleStatements: true });
    root.on('error', () => undefined);
    await q(root, `CREATE DATABASE ${db}`);
    await q(root, `CREATE TABLE ${db}.lh_accounts (id INT PRIMARY KEY, email VARCHAR(100), balance INT) ENGINE=InnoDB`);
    await q(root, `INSERT INTO ${db}.lh_accounts VALUES (1, 'a@example.com', 100), (2, 'b@example.com', 100), (3, 'c@example.com', 100)`);
    await q(root, `CREATE USER '${appUser}'@'%' IDENTIFIED BY '${pw}'`);
    await q(root, `GRANT ALL ON ${db}.* TO '${appUser}'@'%'`);
    await q(root, `CREATE USER '${noProcessUser}'@'%' IDENTIFIED BY '${pw}'`);
    await q(root, `GRANT SELECT ON ${db}.* TO '${noProcessUser}'@'%'`);
    // The MariaDB section of infra/grants/mysql.sql, for a user of our own.
    const grants = await readFile(new URL('../../infra/grants/mysql.sql', import.meta.url), 'utf8');
    const start = grants.indexOf('\n', grants.indexOf('[mariadb]'));
    const section = grants.slice(start, grants.lastIndexOf('\n', grants.lastIndexOf('[end]')));
    const sql = section
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('--'))
      .join('\n')
      .replaceAll("'leakhound'", `'${monitorUser}'`)
      .replace('change-me-from-the-secret-store', pw);
    await q(root, sql);
    // No database in the URL: the monitoring user needs none, sessions are server-wide.
    monitorUrl = withCredentials(MARIADB_URL, monitorUser, pw, '');

    // Primary-key predicates only: a scan would lock every row and block the other sessions.
    await open('tx', ['START TRANSACTION', `UPDATE lh_accounts SET balance = balance + 1 WHERE id = 2 AND email <> 'erin.secret@example.com' AND balance <> 515151`]);
    const sleeper = await open('sleep', []);
    background.push(q(sleeper, `SELECT SLEEP(25), 'frank-sleep-secret' AS tag`).catch(() => undefined));
    await waitFor(() => running(ids.sleep!, 'Query'), 5_000, 'the sleeping query');
    since.sleep = Date.now();
    await open('blocker', ['START TRANSACTION', 'UPDATE lh_accounts SET balance = 0 WHERE id = 1']);
    const waiter = await open('waiter', ['SET SESSION innodb_lock_wait_timeout = 25']);
    background.push(q(waiter, `UPDATE lh_accounts SET balance = 7 WHERE id = 1 AND email <> 'gina-waiter-secret'`).catch(() => undefined));
    await waitFor(
      async () => {
        const [rows] = await root.promise().query(`SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ? AND trx_state = 'LOCK WAIT'`, [ids.waiter]);
        return (rows as unknown[]).length === 1;
      },
      5_000,
      'the lock waiter',
    );
    since.waiter = Date.now();
    await open('idle', ['SELECT * FROM lh_accounts WHERE id IN (1, 2, 3, 8675309)']);
    await sleep(1_600);
    snapshot = await takeSnapshot(monitorUrl, { minAgeMs: 1_000 });
  });

  afterAll(async () => {
    if (!root) return;
    // Sleeping and lock-waiting threads outlive their clients: kill them before dropping things.
    const [rows] = await root.promise().query(`SELECT ID FROM information_schema.PROCESSLIST WHERE USER IN (?, ?, ?)`, [appUser, monitorUser, noProcessUser]).catch(() => [[]]);
    for (const r of rows as Array<{ ID: number }>) await q(root, `KILL ${Number(r.ID)}`).catch(() => undefined);
    // A destroyed mysql2 connection never settles its pending queries: wait for the killed
    // ones first (briefly), then destroy.
    await Promise.race([Promise.allSettled(background), sleep(2_000)]);
    for (const c of conns) c.destroy();
    await q(root, `DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    for (const u of [appUser, monitorUser, noProcessUser]) await q(root, `DROP USER IF EXISTS '${u}'@'%'`).catch(() => undefined);
    root.destroy();
  });

  const session = (name: string): Session => {
    const s = snapshot.sessions.find((x) => x.id === ids[name]);
    if (!s) throw new Error(`thread ${name} (${ids[name]}) not in the snapshot`);
    return s;
  };
  const suspectsOf = (name: string) => snapshot.suspects.filter((s) => s.sessionId === ids[name]);
  const elapsed = (name: string) => Date.parse(snapshot.takenAt) - since[name]! - 50;

  it('reads capacity and every thread, with open transactions from INNODB_TRX', () => {
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.engine).toBe('mariadb');
    expect(snapshot.serverVersion).toMatch(/^MariaDB 10\./);
    expect(snapshot.capacity).toMatchObject({ reservedForSuperusers: 1, reservedForRoles: null });
    expect(snapshot.capacity!.inUse).toBeGreaterThanOrEqual(5);
    const tx = session('tx');
    expect(tx).toMatchObject({ state: 'idle_in_transaction', user: appUser, database: db, application: null, clientAddress: '127.0.0.1' });
    expect(tx.clientPort).toBeGreaterThan(0);
    expect(tx.transactionStarted).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(tx.transactionAgeMs).toBeGreaterThanOrEqual(elapsed('tx'));
    expect(tx.stateAgeMs).toBeGreaterThanOrEqual(elapsed('tx'));
    // MySQL keeps no last statement for a Sleep thread (PROCESSLIST.INFO is NULL): no fingerprint.
    expect(tx.fingerprint).toBeNull();
    expect(session('sleep')).toMatchObject({ state: 'active', fingerprint: 'SELECT SLEEP(?), ? AS tag' });
    expect(session('sleep').queryAgeMs).toBeGreaterThanOrEqual(elapsed('sleep'));
    expect(session('waiter')).toMatchObject({ state: 'active', waitEventType: 'Lock', blockedBy: [ids.blocker] });
    expect(session('idle')).toMatchObject({ state: 'idle', transactionAgeMs: null, fingerprint: null });
  });

  it('classifies the open transaction, the long query, the waiter and its blocker', () => {
    const app = `${appUser}@127.0.0.1`;
    expect(suspectsOf('tx')).toEqual([expect.objectContaining({ kind: 'open_transaction', app })]);
    expect(suspectsOf('tx')[0]!.ageMs).toBeGreaterThanOrEqual(elapsed('tx'));
    expect(suspectsOf('sleep')).toEqual([expect.objectContaining({ kind: 'long_query' })]);
    expect(suspectsOf('waiter')).toEqual([expect.objectContaining({ kind: 'lock_waiter', blockedBy: [ids.blocker] })]);
    expect(suspectsOf('waiter')[0]!.ageMs).toBeGreaterThanOrEqual(elapsed('waiter'));
    expect(suspectsOf('blocker').map((s) => s.kind).sort()).toEqual(['lock_blocker', 'open_transaction']);
    expect(suspectsOf('idle')).toEqual([]);
  });

  it('lets no literal, and no password, out of the snapshot', () => {
    expect(leaked(JSON.stringify(snapshot), [...SECRETS, pw])).toEqual([]);
  });

  it('without PROCESS: capacity still, and the missing grant named', async () => {
    const snap = await takeSnapshot(withCredentials(MARIADB_URL, noProcessUser, pw, db));
    expect(snap.capacity).not.toBeNull();
    expect(snap.sessions).toEqual([]);
    expect(snap.problems).toEqual([expect.objectContaining({ kind: 'insufficient_privilege', fatal: true })]);
    expect(snap.problems[0]!.remedy).toContain(`GRANT PROCESS ON *.* TO ${noProcessUser}`);
  });

  it('wrong password: auth_failed, and the password is not echoed', async () => {
    const snap = await takeSnapshot(withCredentials(MARIADB_URL, appUser, 'wrong-Secret-pw', db));
    expect(snap.problems).toEqual([expect.objectContaining({ kind: 'auth_failed', fatal: true })]);
    expect(JSON.stringify(snap)).not.toContain('wrong-Secret-pw');
    expect(snap.target).toContain(':***@');
  });

  it('kills only threads that still match: not a changed transaction or state', async () => {
    const target = (name: string) => terminationTargetFor(session(name), 1_000)!;
    const otherTx = { ...target('blocker'), transactionStarted: '2001-02-03 04:05:06' };
    const changed = { ...target('idle'), expect: 'idle_in_transaction' as const };
    const gone = { ...target('idle'), id: 4_000_000_000 };
    const report = await terminateSessions(monitorUrl, [target('tx'), otherTx, changed, gone]);
    expect(report.problems).toEqual([]);
    const byId = new Map(report.results.map((r) => [r.id, r]));
    expect(byId.get(ids.tx!)!.outcome).toBe('terminated');
    expect(byId.get(ids.blocker!)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/different transaction/) });
    expect(byId.get(ids.idle!)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/state changed/) });
    expect(byId.get(4_000_000_000)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/gone/) });
    await waitFor(async () => !(await running(ids.tx!, 'Sleep')), 5_000, 'the killed thread to go');
    expect(await running(ids.idle!, 'Sleep')).toBe(true);
    expect(await running(ids.blocker!, 'Sleep')).toBe(true);
  });
});
