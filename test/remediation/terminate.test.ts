// runTerminate against real PostgreSQL: leaked (idle-in-transaction) sessions from real pg
// clients are ended through lib/sessions' guarded termination; exactly those, nothing else.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInput, JobQueue } from '../../lib/jobs/index.ts';
import { runTerminate } from '../../lib/remediation/index.ts';
import { takeSnapshot, terminationTargetFor } from '../../lib/sessions/index.ts';
import { MemoryStore } from '../../lib/store/index.ts';

const ADMIN_URL = process.env.LEAKHOUND_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRE_ALL = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);

async function reachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const pgUp = await reachable();
if (!pgUp && REQUIRE_ALL) {
  describe('runTerminate on PostgreSQL', () => {
    it('needs PostgreSQL', () => {
      throw new Error(`LEAKHOUND_REQUIRE_ALL is set but PostgreSQL is not reachable at ${ADMIN_URL}`);
    });
  });
}

class RecordingQueue implements JobQueue {
  readonly sent: JobInput[] = [];
  async enqueue(job: JobInput) {
    this.sent.push(job);
    return { id: `job-${this.sent.length}` };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!pgUp)('runTerminate on PostgreSQL', () => {
  const dbName = `lh_remediation_${process.pid}_${randomBytes(4).toString('hex')}`;
  const app = `leaky-${randomBytes(3).toString('hex')}`;
  let admin: pg.Client;
  let dbUrl: string;
  const clients: pg.Client[] = [];
  const pids: Record<'tx1' | 'tx2' | 'idle' | 'other', number> = { tx1: 0, tx2: 0, idle: 0, other: 0 };

  async function client(applicationName: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: dbUrl, application_name: applicationName, connectionTimeoutMillis: 5_000 });
    c.on('error', () => undefined); // terminated on purpose
    await c.connect();
    clients.push(c);
    return c;
  }
  const pidOf = async (c: pg.Client) => Number((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();

    // Two leaked transactions, one idle pooled connection of the same app, one other app's leak.
    for (const name of ['tx1', 'tx2'] as const) {
      const c = await client(app);
      pids[name] = await pidOf(c);
      await c.query('BEGIN');
      await c.query('SELECT 1');
    }
    const idle = await client(app);
    pids.idle = await pidOf(idle);
    const other = await client('someone-else');
    pids.other = await pidOf(other);
    await other.query('BEGIN');
    await other.query('SELECT 2');
    await sleep(300);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
  });

  it('ends exactly the approved idle-in-transaction sessions and reports each one', async () => {
    const snapshot = await takeSnapshot(dbUrl, { minAgeMs: 100 });
    const leaked = snapshot.sessions.filter((s) => s.application === app && s.state === 'idle_in_transaction');
    expect(leaked.map((s) => s.id).sort()).toEqual([pids.tx1, pids.tx2].sort());
    const targets = leaked.map((s) => terminationTargetFor(s, 100)!);
    // A stale target: the idle session, condemned as if it were in a transaction.
    const stale = { ...terminationTargetFor(snapshot.sessions.find((s) => s.id === pids.idle)!, 100)!, expect: 'idle_in_transaction' as const };

    const store = new MemoryStore();
    const queue = new RecordingQueue();
    const a = await store.createApproval({
      incidentId: 'billing-api:db-connections-high:20250501-120000-abcdef',
      service: 'billing-api',
      subject: { action: 'terminate', database: 'billing', sessions: [...targets, stale] },
      requestedBy: 'U_REQ',
      ttlMinutes: 15,
    });
    await store.transition(a.id, 'requested', 'approved', 'U_APP');

    const out = await runTerminate({ store, queue, approvalId: a.id, databaseUrl: dbUrl, verification: { before: { connections: 4, idleInTransaction: 3, elb504: null } } });
    expect(out.status).toBe('done');
    if (out.status !== 'done') return;
    expect(out.terminated.sort()).toEqual([pids.tx1, pids.tx2].sort());
    expect(out.skipped).toEqual([{ id: pids.idle, reason: 'state changed: now idle, expected idle in transaction' }]);
    expect(out.failed).toEqual([]);
    expect(out.summary).toMatch(new RegExp(`^terminated 2 of 3 \\(\\d+, \\d+\\); left alone ${pids.idle}: state changed`));
    expect(out.approval.state).toBe('done');

    // Exactly those backends are gone; the idle one and the other app's leak are untouched.
    let alive: number[] = [];
    for (let i = 0; i < 100; i++) {
      alive = (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName])).rows.map((r) => r.pid);
      if (!alive.includes(pids.tx1) && !alive.includes(pids.tx2)) break;
      await sleep(50);
    }
    expect(alive).not.toContain(pids.tx1);
    expect(alive).not.toContain(pids.tx2);
    expect(alive).toContain(pids.idle);
    expect(alive).toContain(pids.other);

    expect(queue.sent).toEqual([expect.objectContaining({ type: 'verify', action: 'terminate', approvalId: a.id, before: { connections: 4, idleInTransaction: 3, elb504: null } })]);
    const audit = await store.listAudit('billing-api:db-connections-high:20250501-120000-abcdef');
    expect(audit.map((e) => e.action)).toEqual(['sessions.terminate.started', 'sessions.terminated']);
    expect(audit[1]!.target).toBe('3 sessions on billing');

    // A second run of the same job does nothing.
    expect(await runTerminate({ store, queue, approvalId: a.id, databaseUrl: dbUrl, verification: null })).toMatchObject({ status: 'skipped', reason: 'not-approved', state: 'done' });
  });

  it('reports an unreachable database as failed, never as terminated', async () => {
    const store = new MemoryStore();
    const a = await store.createApproval({
      incidentId: null,
      service: 'billing-api',
      subject: { action: 'terminate', database: 'billing', sessions: [{ id: 4242, backendStart: '2025-05-01T12:00:00.000001Z', transactionStarted: null, expect: 'idle_in_transaction', minIdleMs: 0 }] },
      requestedBy: 'U_REQ',
      ttlMinutes: 15,
    });
    await store.transition(a.id, 'requested', 'approved', 'U_APP');
    const out = await runTerminate({ store, queue: new RecordingQueue(), approvalId: a.id, databaseUrl: 'postgres://postgres@127.0.0.1:1/none', terminateOptions: { timeoutMs: 1_000 }, verification: { before: null } });
    expect(out).toMatchObject({ status: 'failed', terminated: [], approval: { state: 'failed' }, verifyJobId: null });
    expect(out.status === 'failed' && out.failed.map((f) => f.id)).toEqual([4242]);
  });
});
