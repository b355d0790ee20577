// PostgreSQL sessions: one connection, two read-only statements (settings, then every client
// backend of pg_stat_activity). Ages are computed by the server against its own clock.
// pg is imported when a connection is made: the worker's bundle keeps it out of what loads at
// import, for jobs that read no PostgreSQL database.
import type pg from 'pg';
import { capacityOf } from './capacity.ts';
import { closeAtDeadline } from './deadline.ts';
import { cachedStatementReader, type StatementReading } from './fingerprint.ts';
import type { Session, SessionState, SnapshotProblem } from './model.ts';
import { pgHiddenSessionsProblem, problemFromError, type ProblemContext } from './problems.ts';
import type { EngineRead, ReadOptions } from './read.ts';
import type { DatabaseTarget } from './target.ts';

export const SETTINGS_SQL = `
SELECT current_setting('server_version') AS version,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       current_setting('reserved_connections', true) AS reserved,
       -- Amazon RDS up to PostgreSQL 15 keeps slots for rds_superuser members this way.
       current_setting('rds.rds_superuser_reserved_connections', true) AS rds_reserved,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS sees_all,
       current_user AS me`;

// blocked_by only for sessions waiting on a lock: pg_blocking_pids takes the lock manager's
// partition locks, so calling it for a thousand idle sessions would cost the server for nothing.
// date_part (float8), not EXTRACT (numeric since PG 14) or to_char: on a thousand rows the
// numeric arithmetic and formatting are most of the statement's cost. backend_start arrives as
// epoch seconds, exact to the microsecond once rounded; ages as whole milliseconds.
export const ACTIVITY_SQL = `
SELECT a.pid,
       a.usename AS "user",
       a.datname AS db,
       a.application_name AS app,
       CASE WHEN a.client_addr IS NULL AND a.client_port = -1 THEN 'local' ELSE host(a.client_addr) END AS addr,
       a.client_port AS port,
       a.state,
       date_part('epoch', a.backend_start) AS backend_start,
       floor(date_part('epoch', now() - a.backend_start) * 1000) AS conn_ms,
       floor(date_part('epoch', now() - a.xact_start) * 1000) AS xact_ms,
       floor(date_part('epoch', now() - a.query_start) * 1000) AS query_ms,
       floor(date_part('epoch', now() - a.state_change) * 1000) AS state_ms,
       a.wait_event_type AS wtype,
       a.wait_event AS wevent,
       CASE WHEN a.wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid) END AS blocked_by,
       a.query
FROM pg_stat_activity a
WHERE (a.backend_type = 'client backend'
       -- Without pg_read_all_stats other roles' rows hide backend_type too; a row with a user
       -- and a database is a client backend (or, rarely, a parallel or logical-replication worker).
       OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL AND a.datid IS NOT NULL))
  AND a.pid <> pg_backend_pid()`;

interface SettingsRow {
  version: string;
  max_connections: number;
  superuser_reserved: number;
  reserved: string | null;
  rds_reserved: string | null;
  sees_all: boolean;
  me: string;
}

interface ActivityRow {
  pid: number;
  user: string | null;
  db: string | null;
  app: string | null;
  addr: string | null;
  port: number | null;
  state: string | null;
  backend_start: number | null;
  conn_ms: number | null;
  xact_ms: number | null;
  query_ms: number | null;
  state_ms: number | null;
  wtype: string | null;
  wevent: string | null;
  blocked_by: number[] | null;
  query: string | null;
}

const STATES: Record<string, SessionState> = {
  active: 'active',
  idle: 'idle',
  'idle in transaction': 'idle_in_transaction',
  'idle in transaction (aborted)': 'idle_in_transaction_aborted',
  'fastpath function call': 'fastpath',
  disabled: 'disabled',
};

/** Epoch seconds (float8 from date_part) → ISO-8601 UTC with microseconds. */
export function isoFromEpoch(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

/** ISO-8601 UTC with microseconds (as isoFromEpoch makes them) → integer microseconds. */
export function microsFromIso(iso: string): number | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(iso);
  if (!m) return null;
  const seconds = Date.parse(`${m[1]}Z`);
  return Number.isFinite(seconds) ? seconds * 1000 + Number(m[2]) : null;
}

/** pg client settings shared by snapshot and termination: short timeouts, named, quiet. */
export function pgClientConfig(
  target: DatabaseTarget,
  opts: { timeoutMs: number; applicationName: string; readOnly: boolean; startupSettings?: boolean },
): pg.ClientConfig {
  const statementMs = Math.max(100, Math.floor(opts.timeoutMs * 0.8));
  // Settings in the startup packet cost no extra statement and hold for the whole session,
  // but PgBouncer refuses unknown startup parameters: connectPg retries without them.
  const startup = opts.startupSettings !== false;
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    ...(target.database ? { database: target.database } : {}),
    application_name: opts.applicationName,
    connectionTimeoutMillis: opts.timeoutMs,
    query_timeout: opts.timeoutMs,
    ...(startup ? { statement_timeout: statementMs, lock_timeout: statementMs } : {}),
    ...(startup && opts.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
    ...(target.tls === 'off' ? {} : { ssl: { rejectUnauthorized: target.tls === 'verify' } }),
  };
}

/** Connects within the deadline; behind PgBouncer, again without startup settings. */
export async function connectPg(
  target: DatabaseTarget,
  opts: { timeoutMs: number; applicationName: string; readOnly: boolean },
  deadlineAt: number,
): Promise<pg.Client> {
  const { default: pgm } = await import('pg');
  for (const startupSettings of [true, false]) {
    const client = new pgm.Client(pgClientConfig(target, { ...opts, startupSettings }));
    // A server-side termination surfaces as an 'error' event; without a listener it would crash us.
    client.on('error', () => undefined);
    try {
      await closeAtDeadline(client.connect(), deadlineAt, 'connect', opts.timeoutMs, () => destroyPgClient(client));
      return client;
    } catch (err) {
      destroyPgClient(client);
      const unsupported = err instanceof Error && /unsupported startup parameter/i.test(err.message);
      if (!startupSettings || !unsupported) throw err;
    }
  }
  throw new Error('unreachable');
}

export function problemContext(target: DatabaseTarget, timeoutMs: number): ProblemContext {
  return {
    engine: target.engine,
    where: `${target.host}:${target.port}`,
    user: target.user,
    database: target.database,
    password: target.password,
    timeoutMs,
  };
}

/** Closes a client without waiting for the server: used on deadline expiry and after errors. */
export function destroyPgClient(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  stream?.destroy?.();
  client.end().catch(() => undefined);
}

export async function readPostgres(target: DatabaseTarget, opts: ReadOptions): Promise<EngineRead> {
  const ctx = problemContext(target, opts.timeoutMs);
  const deadlineAt = Date.now() + opts.timeoutMs;
  const fail = (err: unknown): EngineRead => ({
    engine: 'postgres',
    serverVersion: null,
    capacity: null,
    sessions: [],
    problems: [problemFromError(err, ctx)],
  });
  let client: pg.Client;
  try {
    client = await connectPg(target, { ...opts, readOnly: true }, deadlineAt);
  } catch (err) {
    return fail(err);
  }
  let settings: SettingsRow;
  let rows: ActivityRow[];
  try {
    // Both statements in one simple-protocol message: one round trip, one implicit transaction
    // (so both see the same moment), still two statements.
    const work = (async () => {
      const results = (await client.query(`${SETTINGS_SQL};${ACTIVITY_SQL}`)) as unknown as [pg.QueryResult<SettingsRow>, pg.QueryResult<ActivityRow>];
      return [results[0].rows[0], results[1].rows] as const;
    })();
    const [s, a] = await closeAtDeadline(work, deadlineAt, 'query', opts.timeoutMs, () => destroyPgClient(client));
    if (!s) throw new Error('settings query returned no row');
    settings = s;
    rows = a;
  } catch (err) {
    destroyPgClient(client);
    return fail(err);
  }
  client.end().catch(() => undefined);

  const fp = cachedStatementReader({ dialect: 'postgres' });
  const sessions = rows.map((r) => toSession(r, fp));
  const reservedSettings = [settings.reserved, settings.rds_reserved].filter((v): v is string => v !== null && v !== '');
  const reservedForRoles = reservedSettings.length ? reservedSettings.reduce((sum, v) => sum + (Number(v) || 0), 0) : null;
  const capacity = capacityOf({
    maxConnections: settings.max_connections,
    reservedForSuperusers: settings.superuser_reserved,
    reservedForRoles,
    availableToApplications: settings.max_connections - settings.superuser_reserved - (reservedForRoles ?? 0),
    inUse: sessions.length,
  });
  const problems: SnapshotProblem[] = [];
  const hidden = sessions.filter((s) => !s.visible).length;
  if (hidden > 0 && !settings.sees_all) problems.push(pgHiddenSessionsProblem(settings.me, hidden, sessions.length));
  return { engine: 'postgres', serverVersion: `PostgreSQL ${settings.version}`, capacity, sessions, problems };
}

function readingOf(r: StatementReading): Pick<Session, 'fingerprint' | 'sqlComment'> {
  return { fingerprint: r.fingerprint, sqlComment: r.comment };
}

function toSession(r: ActivityRow, fp: (sql: string | null) => StatementReading): Session {
  // Without pg_read_all_stats, other roles' rows come with backend_start and state nulled.
  const visible = r.backend_start !== null;
  const state: SessionState = !visible ? 'hidden' : r.state === null ? 'other' : (STATES[r.state] ?? 'other');
  return {
    id: r.pid,
    backendStart: r.backend_start === null ? null : isoFromEpoch(r.backend_start),
    user: r.user,
    database: r.db,
    application: r.app || null,
    clientAddress: r.addr,
    clientPort: r.port !== null && r.port >= 0 ? r.port : null,
    state,
    transactionAgeMs: r.xact_ms,
    stateAgeMs: r.state_ms,
    queryAgeMs: r.query_ms,
    connectionAgeMs: r.conn_ms,
    waitEventType: r.wtype,
    waitEvent: r.wevent,
    blockedBy: r.blocked_by ?? [],
    // The query text itself stays here: only its fingerprint and comment tags leave.
    ...(visible ? readingOf(fp(r.query)) : { fingerprint: null, sqlComment: null }),
    transactionStarted: null,
    visible,
  };
}
