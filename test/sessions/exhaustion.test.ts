// Exhaustion for real: an embedded PostgreSQL 18 with max_connections = 10 (2 reserved for
// superusers, 2 for pg_use_reserved_connections) filled by a leaking application. An ordinary
// role gets a clear "database full" snapshot; the role from infra/grants/postgres.sql still
// gets in through a reserved slot and sees everything.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type pg from 'pg';
import { sessionsCommand } from '../../lib/cli/sessions.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/localdb/embedded-postgres.ts';
import { takeSnapshot, terminateSessions, terminationTargetFor, verdictOf } from '../../lib/sessions/index.ts';
import { endAll, leaked, pgClient, REQUIRE_ALL, sleep, withCredentials } from '../support/db-sessions.ts';

const MAX = 10;
const SUPERUSER_RESERVED = 2;
const RESERVED = 2;
const USABLE = MAX - SUPERUSER_RESERVED - RESERVED;
const SECRET = 'eve.leaked@example.com';

let server: RunningPostgres | null = null;
let startError: unknown = null;
try {
  server = await startEmbeddedPostgres({ maxConnections: MAX, superuserReservedConnections: SUPERUSER_RESERVED, reservedConnections: RESERVED });
} catch (err) {
  startError = err;
}

describe.skipIf(!server && !REQUIRE_ALL)('a full PostgreSQL 18 (embedded, max_connections 10)', () => {
  const leaks: pg.Client[] = [];
  let appUrl: string;
  let plainUrl: string;
  let monitorUrl: string;
  let refusal: { code?: string; message?: string } = {};

  beforeAll(async () => {
    if (!server) throw new Error(`embedded PostgreSQL did not start: ${String(startError)}`);
    const admin = await pgClient(server.url, 'lh-test-admin');
    await admin.query(await readFile(new URL('../../infra/grants/postgres.sql', import.meta.url), 'utf8'));
    await admin.query(`ALTER ROLE leakhound PASSWORD 'monitor-pw'`);
    await admin.query(`CREATE ROLE billing LOGIN PASSWORD 'billing-pw'`);
    await admin.query(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw'`);
    await admin.query(`CREATE TABLE accounts (id int PRIMARY KEY, email text)`);
    await admin.query(`INSERT INTO accounts VALUES (1, 'a@example.com'), (2, 'b@example.com')`);
    await admin.query(`GRANT SELECT ON accounts TO billing`);
    await admin.end();
    appUrl = withCredentials(server.url, 'billing', 'billing-pw');
    plainUrl = withCredentials(server.url, 'plain', 'plain-pw');
    monitorUrl = withCredentials(server.url, 'leakhound', 'monitor-pw');

    // The leak: every transaction opened and never finished, until the server says no.
    for (let i = 0; i < MAX; i++) {
      try {
        const c = await pgClient(appUrl, 'billing-api');
        leaks.push(c);
        await c.query('BEGIN');
        await c.query(`SELECT * FROM accounts WHERE email = '${SECRET}'`);
      } catch (err) {
        refusal = err as { code?: string; message?: string };
        break;
      }
    }
    await sleep(1_100);
  });

  afterAll(async () => {
    await endAll(leaks);
    await server?.stop();
  });

  it('fills exactly the ordinary slots, then refuses the application', () => {
    expect(leaks.length).toBe(USABLE);
    expect(refusal.code).toBe('53300');
  });

  it('an ordinary role gets a "database full" snapshot with the remedy, not a crash', async () => {
    const snap = await takeSnapshot(plainUrl, { minAgeMs: 1_000 });
    expect(snap.capacity).toBeNull();
    expect(snap.problems).toHaveLength(1);
    const p = snap.problems[0]!;
    expect(p).toMatchObject({ kind: 'database_full', code: '53300', fatal: true });
    expect(p.message).toMatch(/reserved/);
    expect(p.remedy).toContain('pg_use_reserved_connections');
    expect(p.remedy).toContain('infra/grants/postgres.sql');
    const verdict = verdictOf(snap);
    expect(verdict.level).toBe('full');
    expect(verdict.headline).toMatch(/^FULL: the database refused Leakhound/);
    expect(JSON.stringify(snap)).not.toContain('plain-pw');
  });

  it('the monitoring role from infra/grants still gets a full snapshot through a reserved slot', async () => {
    const snap = await takeSnapshot(monitorUrl, { minAgeMs: 1_000 });
    expect(snap.problems).toEqual([]);
    expect(snap.capacity).toMatchObject({
      maxConnections: MAX,
      reservedForSuperusers: SUPERUSER_RESERVED,
      reservedForRoles: RESERVED,
      availableToApplications: USABLE,
      inUse: USABLE,
      free: 0,
      full: true,
    });
    const open = snap.suspects.filter((s) => s.kind === 'open_transaction');
    expect(open).toHaveLength(USABLE);
    expect(open.every((s) => s.app === 'billing-api' && s.ageMs >= 1_000)).toBe(true);
    expect(snap.sessions.every((s) => s.fingerprint === 'SELECT * FROM accounts WHERE email = ?')).toBe(true);
    const verdict = verdictOf(snap);
    expect(verdict.level).toBe('full');
    expect(verdict.headline).toMatch(new RegExp(`^FULL: ${USABLE}/${MAX} connections; ${USABLE} idle in transaction from app billing-api \\(oldest \\d`));
    expect(leaked(JSON.stringify(snap), [SECRET, 'monitor-pw'])).toEqual([]);
  });

  it('`leakhound sessions` prints the problem and its remedy and exits 3 when refused', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await sessionsCommand.run(['--database', plainUrl]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(3);
    const text = out.join('');
    expect(text.split('\n')[0]).toMatch(/^FULL: /);
    expect(text).toContain('fix: Give the monitoring role a slot of its own');
    expect(text).not.toContain('plain-pw');
  });

  it('the monitoring role may terminate a leaked session (pg_signal_backend), and the slot comes back', async () => {
    const snap = await takeSnapshot(monitorUrl, { minAgeMs: 1_000 });
    const victim = snap.sessions[0]!;
    const report = await terminateSessions(monitorUrl, [terminationTargetFor(victim, 1_000)!]);
    expect(report.results).toEqual([expect.objectContaining({ id: victim.id, outcome: 'terminated' })]);
    let after = snap;
    for (let i = 0; i < 40 && after.capacity?.inUse !== USABLE - 1; i++) {
      await sleep(50);
      after = await takeSnapshot(monitorUrl, { minAgeMs: 1_000 });
    }
    expect(after.capacity).toMatchObject({ inUse: USABLE - 1, free: 1, full: false });
  });
});
