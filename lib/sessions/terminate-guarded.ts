// Guarded termination: end a session only if it is still the one the snapshot condemned (same
// pid and start time) and still doing what condemned it (idle in transaction / idle, long
// enough). A stale approval must never kill a fresh session that reused the pid.
import type { Connection } from 'mysql2';
import type pg from 'pg';
import { z } from 'zod';
import { closeAtDeadline } from './deadline.ts';
import type { Session, SnapshotProblem } from './model.ts';
import { createMysqlConnection, mysqlConnect, mysqlConnectionOptions, mysqlQuery } from './mysql.ts';
import { connectPg, destroyPgClient, isoFromEpoch, microsFromIso, problemContext } from './postgres.ts';
import { invalidTargetProblem, problemFromError } from './problems.ts';
import { DatabaseUrlError, parseDatabaseUrl } from './target.ts';

export type TerminationExpectation = 'idle_in_transaction' | 'idle';

export interface TerminationTarget {
  id: number;
  /** PostgreSQL backend_start exactly as the snapshot reported it (required there). */
  backendStart: string | null;
  /** MySQL: INNODB_TRX.trx_started of the transaction to end (required for idle_in_transaction). */
  transactionStarted: string | null;
  /** What the session must still be doing. Aborted transactions count as idle_in_transaction. */
  expect: TerminationExpectation;
  /** It must have been in that state for at least this long. */
  minIdleMs: number;
}

export type TerminationOutcome = 'terminated' | 'skipped' | 'failed';

export interface TerminationResult {
  id: number;
  outcome: TerminationOutcome;
  reason: string;
}

export interface TerminationReport {
  results: TerminationResult[];
  /** Set when nothing could be done (unreachable, no privilege…). */
  problems: SnapshotProblem[];
}

const targetSchema = z.object({
  id: z.number().int().positive().max(2 ** 53),
  backendStart: z.string().max(40).nullable(),
  transactionStarted: z.string().max(40).nullable(),
  expect: z.enum(['idle_in_transaction', 'idle']),
  minIdleMs: z.number().min(0),
});

const optionsSchema = z
  .object({
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** Amazon RDS/Aurora MySQL: KILL of other users' threads goes through CALL mysql.rds_kill(id). */
    rds: z.boolean().default(false),
    applicationName: z.string().min(1).max(63).default('leakhound'),
  })
  .strict();

export type TerminateOptions = z.input<typeof optionsSchema>;

/**
 * The termination target for a session from a snapshot, or null when its state is not one we
 * terminate (active queries are left to their statement_timeout).
 */
export function terminationTargetFor(session: Session, minIdleMs: number): TerminationTarget | null {
  const expect: TerminationExpectation | null =
    session.state === 'idle_in_transaction' || session.state === 'idle_in_transaction_aborted'
      ? 'idle_in_transaction'
      : session.state === 'idle'
        ? 'idle'
        : null;
  if (!expect || !session.visible) return null;
  return { id: session.id, backendStart: session.backendStart, transactionStarted: session.transactionStarted, expect, minIdleMs };
}

// The guard sits in the WHERE clause of the statement that terminates, so the check and the
// kill see the same row: there is no window between a check and a separate kill. Superusers'
// sessions are excluded unless we are one, since one permission error would fail the batch.
const PG_TERMINATE_SQL = `
SELECT a.pid, pg_terminate_backend(a.pid) AS terminated
FROM pg_stat_activity a
JOIN unnest($1::int[], $2::int8[], $3::text[], $4::float8[]) AS t(pid, backend_us, expect, min_idle_ms)
  ON a.pid = t.pid
JOIN pg_roles r ON r.oid = a.usesysid
WHERE a.backend_type = 'client backend'
  AND a.pid <> pg_backend_pid()
  AND round(date_part('epoch', a.backend_start) * 1000000)::int8 = t.backend_us
  AND ((t.expect = 'idle_in_transaction' AND a.state IN ('idle in transaction', 'idle in transaction (aborted)'))
    OR (t.expect = 'idle' AND a.state = 'idle'))
  AND a.state_change <= now() - t.min_idle_ms * interval '1 millisecond'
  AND (NOT r.rolsuper OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))`;

// Read after the fact, only to say why a target was left alone.
const PG_EXPLAIN_SQL = `
SELECT a.pid, a.state, r.rolsuper AS superuser,
       date_part('epoch', a.backend_start) AS backend_start,
       floor(date_part('epoch', now() - a.state_change) * 1000) AS state_ms
FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid
WHERE a.pid = ANY($1::int[])`;

function whySkipped(
  t: TerminationTarget,
  row: { state: string | null; superuser: boolean | null; backend_start: string | null; state_ms: number | null } | undefined,
): string {
  if (!row) return 'gone: no session with this pid any more';
  if (row.backend_start === null) return 'hidden: this role cannot see the session (GRANT pg_monitor), so cannot prove it matches';
  if (row.backend_start !== null && row.backend_start !== t.backendStart) {
    return `pid reused: this pid now belongs to a session started at ${row.backend_start}, not ${t.backendStart}`;
  }
  const state = row.state ?? 'unknown';
  const ok = t.expect === 'idle' ? state === 'idle' : state.startsWith('idle in transaction');
  if (!ok) return `state changed: now ${state}, expected ${t.expect.replace(/_/g, ' ')}`;
  if (row.state_ms !== null && row.state_ms < t.minIdleMs) return `not idle long enough: ${row.state_ms} ms < ${t.minIdleMs} ms`;
  if (row.superuser) return 'superuser session: only a superuser may terminate it';
  return 'no longer matches the snapshot';
}

async function terminatePostgres(url: string, targets: TerminationTarget[], opts: z.output<typeof optionsSchema>): Promise<TerminationReport> {
  const target = parseDatabaseUrl(url);
  const ctx = problemContext(target, opts.timeoutMs);
  const deadlineAt = Date.now() + opts.timeoutMs;
  const results: TerminationResult[] = [];
  const eligible = targets.filter((t) => {
    if (t.backendStart !== null && microsFromIso(t.backendStart) !== null) return true;
    results.push({ id: t.id, outcome: 'skipped', reason: 'no usable backend_start: cannot prove it is the same session' });
    return false;
  });
  if (eligible.length === 0) return { results, problems: [] };

  let client: pg.Client | null = null;
  try {
    client = await connectPg(target, { ...opts, readOnly: false }, deadlineAt);
    const c = client;
    const work = (async () => {
      const killed = await c.query<{ pid: number; terminated: boolean }>(PG_TERMINATE_SQL, [
        eligible.map((t) => t.id),
        eligible.map((t) => String(microsFromIso(t.backendStart!))),
        eligible.map((t) => t.expect),
        eligible.map((t) => t.minIdleMs),
      ]);
      const done = new Map(killed.rows.map((r) => [r.pid, r.terminated]));
      const left = eligible.filter((t) => done.get(t.id) !== true).map((t) => t.id);
      const explain = left.length
        ? (await c.query<{ pid: number; state: string | null; superuser: boolean | null; backend_start: number | null; state_ms: number | null }>(PG_EXPLAIN_SQL, [left])).rows
        : [];
      return {
        done,
        explain: new Map(explain.map((r) => [r.pid, { ...r, backend_start: r.backend_start === null ? null : isoFromEpoch(r.backend_start) }])),
      };
    })();
    const { done, explain } = await closeAtDeadline(work, deadlineAt, 'query', opts.timeoutMs, () => destroyPgClient(c));
    for (const t of eligible) {
      const d = done.get(t.id);
      if (d === true) results.push({ id: t.id, outcome: 'terminated', reason: `terminated (${t.expect.replace(/_/g, ' ')} ≥ ${t.minIdleMs} ms)` });
      else if (d === false) results.push({ id: t.id, outcome: 'failed', reason: 'pg_terminate_backend returned false (the session ended meanwhile)' });
      else results.push({ id: t.id, outcome: 'skipped', reason: whySkipped(t, explain.get(t.id)) });
    }
    return { results, problems: [] };
  } catch (err) {
    const problem = problemFromError(err, ctx);
    if (problem.kind === 'insufficient_privilege') {
      problem.remedy = `GRANT pg_signal_backend TO ${target.user}; (it may then terminate any non-superuser session). See infra/grants/postgres.sql.`;
    }
    for (const t of eligible) results.push({ id: t.id, outcome: 'failed', reason: problem.message });
    return { results, problems: [problem] };
  } finally {
    if (client) destroyPgClient(client);
  }
}

interface MysqlThreadRow {
  id: number;
  command: string;
  time_ms: number;
  trx_started: string | null;
}

async function terminateMysql(url: string, targets: TerminationTarget[], opts: z.output<typeof optionsSchema>): Promise<TerminationReport> {
  const target = parseDatabaseUrl(url);
  const ctx = problemContext(target, opts.timeoutMs);
  const deadlineAt = Date.now() + opts.timeoutMs;
  const results: TerminationResult[] = [];
  let conn: Connection;
  try {
    conn = await createMysqlConnection(mysqlConnectionOptions(target, opts.timeoutMs));
  } catch (err) {
    const problem = problemFromError(err, ctx);
    return { results: targets.map((t) => ({ id: t.id, outcome: 'failed' as const, reason: problem.message })), problems: [problem] };
  }
  conn.on('error', () => undefined);
  const close = () => conn.destroy();
  const left = () => Math.max(1, deadlineAt - Date.now());
  try {
    await closeAtDeadline(mysqlConnect(conn), deadlineAt, 'connect', opts.timeoutMs, close);
    // MySQL has no conditional kill, so check then kill, per thread, with nothing in between but
    // one round trip. Thread ids only grow, so a checked id cannot have been handed to a new client.
    for (const t of targets) {
      const rows = await closeAtDeadline(
        mysqlQuery<MysqlThreadRow>(
          conn,
          `SELECT p.ID AS id, p.COMMAND AS command, p.TIME * 1000 AS time_ms,
                  DATE_FORMAT(t.trx_started, '%Y-%m-%d %H:%i:%s') AS trx_started
           FROM information_schema.PROCESSLIST p
           LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
           WHERE p.ID = ?`,
          left(),
          [t.id],
        ),
        deadlineAt,
        'query',
        opts.timeoutMs,
        close,
      );
      const row = rows[0];
      let skip: string | null = null;
      if (!row) skip = 'gone: no thread with this id any more';
      else if (row.command !== 'Sleep') skip = `state changed: now ${row.command}, expected ${t.expect.replace(/_/g, ' ')}`;
      else if (t.expect === 'idle_in_transaction' && (row.trx_started === null || row.trx_started !== t.transactionStarted)) {
        skip = row.trx_started === null ? 'state changed: the transaction has ended' : `a different transaction (started ${row.trx_started}) is open now`;
      } else if (t.expect === 'idle' && row.trx_started !== null) skip = 'state changed: now idle in transaction, expected idle';
      else if (Number(row.time_ms) < t.minIdleMs) skip = `not idle long enough: ${row.time_ms} ms < ${t.minIdleMs} ms`;
      if (skip) {
        results.push({ id: t.id, outcome: 'skipped', reason: skip });
        continue;
      }
      try {
        const sql = opts.rds ? 'CALL mysql.rds_kill(?)' : 'KILL CONNECTION ?';
        await closeAtDeadline(mysqlQuery(conn, sql, left(), [t.id]), deadlineAt, 'query', opts.timeoutMs, close);
        results.push({ id: t.id, outcome: 'terminated', reason: `killed (${t.expect.replace(/_/g, ' ')} ≥ ${t.minIdleMs} ms)` });
      } catch (err) {
        const e = err as { errno?: number };
        if (e.errno === 1094) results.push({ id: t.id, outcome: 'skipped', reason: 'gone: the thread ended meanwhile' });
        else throw err;
      }
    }
    return { results, problems: [] };
  } catch (err) {
    const problem = problemFromError(err, ctx);
    if (problem.kind === 'insufficient_privilege' || (err as { errno?: number }).errno === 1095) {
      problem.kind = 'insufficient_privilege';
      problem.remedy = `GRANT CONNECTION_ADMIN ON *.* TO ${target.user} (MariaDB: CONNECTION ADMIN)${opts.rds ? '' : '; on RDS use the rds option (CALL mysql.rds_kill)'}. See infra/grants/mysql.sql.`;
    }
    const handled = new Set(results.map((r) => r.id));
    for (const t of targets) if (!handled.has(t.id)) results.push({ id: t.id, outcome: 'failed', reason: problem.message });
    return { results, problems: [problem] };
  } finally {
    close();
  }
}

/** Terminates the sessions that still match their targets; every target gets a result. */
export async function terminateSessions(url: string, targets: TerminationTarget[], options: TerminateOptions = {}): Promise<TerminationReport> {
  const opts = optionsSchema.parse(options);
  const checked = z.array(targetSchema).max(10_000).parse(targets);
  if (checked.length === 0) return { results: [], problems: [] };
  let engine: 'postgres' | 'mysql';
  try {
    engine = parseDatabaseUrl(url).engine;
  } catch (err) {
    if (!(err instanceof DatabaseUrlError)) throw err;
    const problem = invalidTargetProblem(err.message);
    return { results: checked.map((t) => ({ id: t.id, outcome: 'failed' as const, reason: problem.message })), problems: [problem] };
  }
  return engine === 'postgres' ? terminatePostgres(url, checked, opts) : terminateMysql(url, checked, opts);
}
