// Classification, grouping, verdicts, problem mapping and URL handling, on made-up sessions:
// the rules themselves, independent of any server.
import { describe, expect, it } from 'vitest';
import {
  capacityOf,
  classifySessions,
  formatAge,
  groupSessions,
  parseDatabaseUrl,
  problemFromError,
  redactUrl,
  verdictOf,
  type Session,
  type Snapshot,
  type Thresholds,
} from '../../lib/sessions/index.ts';
import type { ProblemContext } from '../../lib/sessions/problems.ts';

const T: Thresholds = { minAgeMs: 30_000, longQueryMs: 30_000, lockWaitMs: 5_000 };
let nextId = 1000;

function s(partial: Partial<Session>): Session {
  return {
    id: nextId++,
    backendStart: '2026-01-01T00:00:00.000000Z',
    user: 'app',
    database: 'app',
    application: 'billing-api',
    clientAddress: '10.0.0.7',
    clientPort: 40000,
    state: 'idle',
    transactionAgeMs: null,
    stateAgeMs: 1_000,
    queryAgeMs: 1_000,
    connectionAgeMs: 3_600_000,
    waitEventType: 'Client',
    waitEvent: 'ClientRead',
    blockedBy: [],
    fingerprint: 'SELECT ?',
    transactionStarted: null,
    visible: true,
    ...partial,
  };
}

function snapshotOf(sessions: Session[], max = 100, reserved = 3): Snapshot {
  const capacity = capacityOf({ maxConnections: max, reservedForSuperusers: reserved, reservedForRoles: null, availableToApplications: max - reserved, inUse: sessions.length });
  return {
    engine: 'postgres',
    target: 'postgres://leakhound:***@db:5432/app',
    takenAt: new Date().toISOString(),
    durationMs: 12,
    serverVersion: 'PostgreSQL 16.2',
    capacity,
    sessions,
    groups: groupSessions(sessions),
    suspects: classifySessions(sessions, capacity, T),
    problems: [],
    thresholds: T,
  };
}

describe('classification', () => {
  it('open transactions are suspects once idle past the threshold, aborted ones flagged', () => {
    const young = s({ state: 'idle_in_transaction', transactionAgeMs: 60_000, stateAgeMs: 100 });
    const old = s({ state: 'idle_in_transaction', transactionAgeMs: 700_000, stateAgeMs: 650_000 });
    const aborted = s({ state: 'idle_in_transaction_aborted', transactionAgeMs: 40_000, stateAgeMs: 35_000 });
    const suspects = classifySessions([young, old, aborted], null, T);
    expect(suspects.map((x) => [x.sessionId, x.kind, x.aborted])).toEqual([
      [old.id, 'open_transaction', false],
      [aborted.id, 'open_transaction', true],
    ]);
    expect(suspects[0]!.ageMs).toBe(700_000);
    expect(suspects[0]!.reason).toBe('billing-api left a transaction open for 11m (idle 10m)');
  });

  it('idle sessions are suspects only when their pool looks full', () => {
    const idle = (app: string) => s({ application: app, state: 'idle', stateAgeMs: 120_000 });
    const quiet = [idle('quiet'), idle('quiet')];
    // The database has room and no pool size is known: idle connections are just a pool.
    expect(classifySessions(quiet, capacityOf({ maxConnections: 100, reservedForSuperusers: 3, reservedForRoles: null, availableToApplications: 97, inUse: 2 }), T)).toEqual([]);
    // A known pool size reached.
    const sized = classifySessions(quiet, null, T, { poolSizes: { quiet: 2 } });
    expect(sized.map((x) => x.kind)).toEqual(['idle_in_full_pool', 'idle_in_full_pool']);
    // The database is full: an app holding a real share of it in long-idle sessions.
    const leaky = Array.from({ length: 30 }, () => idle('leaky'));
    const busy = Array.from({ length: 67 }, () => s({ application: 'busy', state: 'active', queryAgeMs: 10 }));
    const oneIdle = idle('other');
    const sessions = [...leaky, ...busy, oneIdle];
    const cap = capacityOf({ maxConnections: 101, reservedForSuperusers: 3, reservedForRoles: null, availableToApplications: 98, inUse: sessions.length });
    const full = classifySessions(sessions, cap, T);
    expect(new Set(full.map((x) => x.app))).toEqual(new Set(['leaky']));
    expect(full).toHaveLength(30);
    expect(full[0]!.reason).toMatch(/leaky's pool is full \(30 of its 30 connections idle ≥ 30s\)/);
  });

  it('long queries, lock waiters and their blockers', () => {
    const blocker = s({ state: 'idle_in_transaction', transactionAgeMs: 90_000, stateAgeMs: 89_000, application: 'orders' });
    const waiter1 = s({ state: 'active', queryAgeMs: 20_000, waitEventType: 'Lock', waitEvent: 'transactionid', blockedBy: [blocker.id] });
    const waiter2 = s({ state: 'active', queryAgeMs: 1_000, waitEventType: 'Lock', blockedBy: [blocker.id] });
    const long = s({ state: 'active', queryAgeMs: 45_000, waitEventType: null, application: 'reports' });
    const suspects = classifySessions([blocker, waiter1, waiter2, long], null, T);
    expect(suspects.map((x) => [x.kind, x.sessionId])).toEqual([
      ['lock_blocker', blocker.id],
      ['open_transaction', blocker.id],
      ['lock_waiter', waiter1.id],
      ['long_query', long.id],
    ]);
    expect(suspects[0]!.blocks).toEqual([waiter1.id]);
    expect(suspects[2]!.blockedBy).toEqual([blocker.id]);
  });

  it('a lock queue has one blocker at its head; the waiters queued behind each other are victims', () => {
    const head = s({ state: 'idle_in_transaction', transactionAgeMs: 90_000, stateAgeMs: 89_000 });
    const w1 = s({ state: 'active', queryAgeMs: 30_000, waitEventType: 'Lock', blockedBy: [head.id] });
    const w2 = s({ state: 'active', queryAgeMs: 20_000, waitEventType: 'Lock', blockedBy: [head.id, w1.id] });
    const w3 = s({ state: 'active', queryAgeMs: 10_000, waitEventType: 'Lock', blockedBy: [w1.id, w2.id] });
    const suspects = classifySessions([head, w1, w2, w3], null, T);
    const blockers = suspects.filter((x) => x.kind === 'lock_blocker');
    expect(blockers).toEqual([expect.objectContaining({ sessionId: head.id, blocks: [w1.id, w2.id, w3.id] })]);
    const w3s = suspects.find((x) => x.sessionId === w3.id)!;
    expect(w3s).toMatchObject({ kind: 'lock_waiter', blockedBy: [w1.id, w2.id] });
    expect(w3s.reason).toBe(`waiting 10s for a lock held by ${head.id} (queued behind 2 sessions)`);
  });

  it('hidden sessions are counted but never classified', () => {
    const hidden = s({ state: 'hidden', visible: false, transactionAgeMs: null, stateAgeMs: null, queryAgeMs: null, fingerprint: null });
    expect(classifySessions([hidden], null, T)).toEqual([]);
    expect(groupSessions([hidden]).byState[0]).toMatchObject({ key: 'hidden', count: 1 });
  });

  it('MySQL sessions have no application name: user@address stands in', () => {
    const x = s({ application: null, user: 'shop', clientAddress: '10.1.2.3', state: 'idle_in_transaction', transactionAgeMs: 60_000, stateAgeMs: 60_000 });
    expect(classifySessions([x], null, T)[0]!.app).toBe('shop@10.1.2.3');
    expect(groupSessions([x]).byApplication[0]!.key).toBe('shop@10.1.2.3');
  });
});

describe('groups and verdict', () => {
  it('reads like the 3 a.m. line: FULL, usage, the biggest suspect group', () => {
    const leaked = Array.from({ length: 40 }, (_, i) =>
      s({ state: 'idle_in_transaction', transactionAgeMs: 720_000 - i * 1_000, stateAgeMs: 700_000 - i * 1_000, fingerprint: 'UPDATE accounts SET balance = ? WHERE id = ?' }),
    );
    const rest = Array.from({ length: 57 }, () => s({ application: 'web', state: 'active', queryAgeMs: 5 }));
    const snap = snapshotOf([...leaked, ...rest]);
    const verdict = verdictOf(snap);
    expect(verdict.level).toBe('full');
    expect(verdict.headline).toBe('FULL: 97/100 connections; 40 idle in transaction from app billing-api (oldest 12m)');
    expect(verdict.clusters[0]).toMatchObject({ kind: 'open_transaction', count: 40, fingerprint: 'UPDATE accounts SET balance = ? WHERE id = ?' });
    expect(snap.groups.byApplication.map((g) => [g.key, g.count])).toEqual([['web', 57], ['billing-api', 40]]);
    expect(snap.groups.byApplication[1]!.oldestTransactionMs).toBe(720_000);
    expect(snap.groups.byState.find((g) => g.key === 'idle_in_transaction')!.count).toBe(40);
  });

  it('near full, suspect-only and ok', () => {
    expect(verdictOf(snapshotOf(Array.from({ length: 93 }, () => s({})))).headline).toBe('NEAR FULL: 93/100 connections, 4 free');
    const one = [s({ state: 'idle_in_transaction', transactionAgeMs: 65_000, stateAgeMs: 61_000 })];
    expect(verdictOf(snapshotOf(one)).headline).toBe('SUSPECT: 1/100 connections, 96 free; 1 idle in transaction from app billing-api (oldest 1m05s)');
    expect(verdictOf(snapshotOf([s({})])).level).toBe('ok');
  });

  it('a refused connection is FULL or UNKNOWN, never a crash', () => {
    const base = snapshotOf([]);
    const refused = { ...base, capacity: null, problems: [{ kind: 'database_full' as const, code: '53300', message: 'm', remedy: 'r', fatal: true }] };
    expect(verdictOf(refused)).toMatchObject({ level: 'full' });
    const unreachable = { ...base, capacity: null, problems: [{ kind: 'unreachable' as const, code: 'ECONNREFUSED', message: 'm', remedy: 'r', fatal: true }] };
    expect(verdictOf(unreachable).headline).toBe('UNKNOWN; could not read sessions (unreachable, ECONNREFUSED)');
  });

  it('formats ages for people', () => {
    expect([450, 4_200, 42_000, 200_000, 720_000, 7_500_000, 90_000_000].map(formatAge)).toEqual(['450ms', '4.2s', '42s', '3m20s', '12m', '2h05m', '1d1h']);
  });
});

describe('problems', () => {
  const pg: ProblemContext = { engine: 'postgres', where: 'db:5432', user: 'leakhound', database: 'app', password: 'hunter2-secret', timeoutMs: 5_000 };
  const my: ProblemContext = { ...pg, engine: 'mysql', where: 'db:3306' };
  const err = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? 'x')), fields);

  it.each([
    [pg, { code: '53300', message: 'sorry, too many clients already' }, 'database_full'],
    [pg, { code: '53300', message: 'remaining connection slots are reserved for roles with the SUPERUSER attribute' }, 'database_full'],
    [pg, { code: '53300', message: 'too many connections for role "leakhound"' }, 'connection_limit'],
    [pg, { code: '28P01', message: 'password authentication failed for user "leakhound"' }, 'auth_failed'],
    [pg, { code: '28000', message: 'no pg_hba.conf entry for host' }, 'auth_failed'],
    [pg, { code: '3D000', message: 'database "nope" does not exist' }, 'database_not_found'],
    [pg, { code: '57P03', message: 'the database system is starting up' }, 'unavailable'],
    [pg, { code: '57014', message: 'canceling statement due to statement timeout' }, 'timeout'],
    [pg, { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.1:5432' }, 'unreachable'],
    [pg, { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db' }, 'unreachable'],
    [pg, { message: 'Connection terminated due to connection timeout' }, 'timeout'],
    [my, { code: 'ER_CON_COUNT_ERROR', errno: 1040, message: 'Too many connections' }, 'database_full'],
    [my, { code: 'ER_TOO_MANY_USER_CONNECTIONS', errno: 1203, message: 'User leakhound already has more than max_user_connections' }, 'connection_limit'],
    [my, { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, message: "Access denied for user 'leakhound'@'10.0.0.2' (using password: YES)" }, 'auth_failed'],
    [my, { code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR', errno: 1227, message: 'Access denied; you need (at least one of) the PROCESS privilege(s)' }, 'insufficient_privilege'],
    [my, { code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'timeout'],
  ] as const)('%#: maps to %s', (ctx, fields, kind) => {
    const p = problemFromError(err(fields), ctx);
    expect(p.kind).toBe(kind);
    expect(p.fatal).toBe(true);
    expect(p.remedy.length).toBeGreaterThan(20);
  });

  it('remedies name the grants', () => {
    expect(problemFromError(err({ code: '53300', message: 'x' }), pg).remedy).toContain('GRANT pg_use_reserved_connections TO leakhound');
    expect(problemFromError(err({ errno: 1040, code: 'ER_CON_COUNT_ERROR' }), my).remedy).toContain('CONNECTION_ADMIN');
    expect(problemFromError(err({ errno: 1227, code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR' }), my).remedy).toContain('GRANT PROCESS ON *.* TO leakhound');
  });

  it('never repeats a password a driver echoed', () => {
    const p = problemFromError(err({ message: 'failed for postgres://leakhound:hunter2-secret@db/app' }), pg);
    expect(JSON.stringify(p)).not.toContain('hunter2-secret');
  });
});

describe('database URLs', () => {
  it('redacts passwords, also in query parameters, and never echoes an unparsable URL', () => {
    expect(redactUrl('postgres://u:p%40ss@db:5432/app?sslmode=require')).toBe('postgres://u:***@db:5432/app?sslmode=require');
    expect(redactUrl('mysql://u@db/app?password=s3cret')).toBe('mysql://u@db/app?password=***');
    expect(redactUrl('postgres://u:pw@[::1')).toBe('postgres://<unparsable>');
  });

  it('parses engines, defaults and TLS', () => {
    expect(parseDatabaseUrl('postgresql://u:p%40ss@db.internal/app?sslmode=verify-full')).toMatchObject({ engine: 'postgres', host: 'db.internal', port: 5432, user: 'u', password: 'p@ss', database: 'app', tls: 'verify' });
    expect(parseDatabaseUrl('mariadb://root@[::1]:3307')).toMatchObject({ engine: 'mysql', declaredEngine: 'mariadb', host: '::1', port: 3307, database: null, tls: 'off' });
    expect(() => parseDatabaseUrl('redis://x')).toThrow(/unsupported scheme "redis"/);
    expect(() => parseDatabaseUrl('not a url')).toThrow(/not a URL/);
    expect(() => parseDatabaseUrl('')).toThrow(/empty/);
  });
});
