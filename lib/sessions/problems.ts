// Turns whatever went wrong while reading sessions into a SnapshotProblem that says precisely
// what happened and what to do, so a full or locked-down database still yields a useful answer.
import type { ProblemKind, SnapshotProblem } from './model.ts';
import type { UrlEngine } from './target.ts';
import { redact } from '../redact/index.ts';
import { DeadlineError } from '../errors/index.ts';

export interface ProblemContext {
  engine: UrlEngine;
  /** host:port, for messages. */
  where: string;
  user: string;
  database: string | null;
  password: string;
  timeoutMs: number;
}


const PG_GRANTS = 'infra/grants/postgres.sql';
const MY_GRANTS = 'infra/grants/mysql.sql';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'PROTOCOL_SEQUENCE_TIMEOUT']);

function problem(kind: ProblemKind, code: string | null, message: string, remedy: string, fatal = true): SnapshotProblem {
  return { kind, code, message, remedy, fatal };
}

function errorFields(err: unknown): { code: string | null; errno: number | null; message: string } {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; errno?: unknown; message?: unknown };
    return {
      code: typeof e.code === 'string' ? e.code : null,
      errno: typeof e.errno === 'number' ? e.errno : null,
      message: typeof e.message === 'string' && e.message ? e.message : String(err),
    };
  }
  return { code: null, errno: null, message: String(err) };
}

function fullRemedy(engine: UrlEngine, user: string): string {
  return engine === 'postgres'
    ? `Give the monitoring role a slot of its own: on PostgreSQL 16+ GRANT pg_use_reserved_connections TO ${user} ` +
        `and set reserved_connections (restart needed); before 16 only superusers (on RDS: rds_superuser members) may use the reserved slots. ` +
        `See ${PG_GRANTS}. Until then, the goroutine dumps still show the leak, and restarting the leaking service frees the slots.`
    : `Grant CONNECTION_ADMIN (MySQL 8) or CONNECTION ADMIN (MariaDB 10.5+) to ${user}, so it may take the one connection ` +
        `the server keeps beyond max_connections. See ${MY_GRANTS}. Until then, restarting the leaking service frees the slots.`;
}

/** Maps a connection or query failure to a problem. Never includes the password. */
export function problemFromError(err: unknown, ctx: ProblemContext): SnapshotProblem {
  const { code, errno, message: raw } = errorFields(err);
  const msg = redact(raw, { known: [ctx.password] }).replace(/\s+/g, ' ').trim();
  const server = ctx.engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
  const at = `${server} at ${ctx.where}`;

  // Our own deadline (sessions/deadline.ts) maps to `timeout` whatever the driver was doing.
  if (err instanceof DeadlineError) {
    return problem(
      'timeout',
      'DEADLINE',
      `${at}: ${err.message}`,
      err.during === 'connect'
        ? 'Check the network path (a security group that drops packets looks exactly like this) and that the host is up.'
        : 'The server is too slow to answer a catalog query: it may be overloaded; try again with a longer timeout.',
    );
  }

  if (ctx.engine === 'postgres' && code && /^[0-9A-Z]{5}$/.test(code)) {
    if (code === '53300') {
      if (/too many connections for (role|database)/i.test(msg)) {
        return problem(
          'connection_limit',
          code,
          `${at} refused ${ctx.user}: ${msg}`,
          `A CONNECTION LIMIT on the role or database is reached: ALTER ROLE ${ctx.user} CONNECTION LIMIT -1 (or higher), or give Leakhound its own role (${PG_GRANTS}).`,
        );
      }
      return problem('database_full', code, `${at} is full and refused ${ctx.user}: ${msg}`, fullRemedy('postgres', ctx.user));
    }
    if (code === '28P01' || code === '28000') {
      return problem(
        'auth_failed',
        code,
        `${at} rejected user ${ctx.user}: ${msg}`,
        `Check the user and password stored for this database, and that pg_hba.conf admits the bot's address. The monitoring role is created by ${PG_GRANTS}.`,
      );
    }
    if (code === '3D000') {
      return problem('database_not_found', code, `${at}: ${msg}`, 'Check the database name in the URL (any existing database will do: sessions are read cluster-wide).');
    }
    if (code === '57P03' || code === '57P01' || code === '57P02') {
      return problem('unavailable', code, `${at} is not accepting connections: ${msg}`, 'The server is starting, stopping or recovering; try again shortly.');
    }
    if (code === '57014') {
      return problem('timeout', code, `${at}: the snapshot query was cancelled by statement_timeout (${ctx.timeoutMs} ms)`, 'The server is overloaded or the catalog is locked; try again with a longer timeout.');
    }
    if (code === '42501') {
      return problem('insufficient_privilege', code, `${at}: ${msg}`, `GRANT pg_monitor TO ${ctx.user}; see ${PG_GRANTS}.`);
    }
  }

  if (ctx.engine === 'mysql') {
    if (errno === 1040 || code === 'ER_CON_COUNT_ERROR') {
      return problem('database_full', code ?? '1040', `${at} is full and refused ${ctx.user}: ${msg}`, fullRemedy('mysql', ctx.user));
    }
    if (errno === 1203 || code === 'ER_TOO_MANY_USER_CONNECTIONS' || errno === 1226 || code === 'ER_USER_LIMIT_REACHED') {
      return problem(
        'connection_limit',
        code ?? String(errno),
        `${at} refused ${ctx.user}: ${msg}`,
        `The user's max_user_connections (or a resource limit) is reached: raise it for ${ctx.user} or give Leakhound its own user (${MY_GRANTS}).`,
      );
    }
    if (errno === 1044 || code === 'ER_DBACCESS_DENIED_ERROR') {
      return problem(
        'auth_failed',
        code ?? '1044',
        `${at}: ${ctx.user} may not use database ${ctx.database ?? '(default)'}: ${msg}`,
        'Leave the database out of the URL (sessions are read server-wide), or grant the user access to it.',
      );
    }
    if (errno === 1045 || code === 'ER_ACCESS_DENIED_ERROR') {
      return problem(
        'auth_failed',
        code ?? String(errno),
        `${at} rejected user ${ctx.user}: ${msg}`,
        `Check the user, password and host part of the account stored for this database. The monitoring user is created by ${MY_GRANTS}.`,
      );
    }
    if (errno === 1049 || code === 'ER_BAD_DB_ERROR') {
      return problem('database_not_found', code ?? '1049', `${at}: ${msg}`, 'Check the database name in the URL, or leave it out: sessions are read server-wide.');
    }
    if (errno === 1227 || code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR' || errno === 1142 || code === 'ER_TABLEACCESS_DENIED_ERROR') {
      return problem(
        'insufficient_privilege',
        code ?? String(errno),
        `${at}: ${ctx.user} may not read other users' threads and transactions: ${msg}`,
        `GRANT PROCESS ON *.* TO ${ctx.user} (shows every thread and INNODB_TRX); see ${MY_GRANTS}.`,
      );
    }
    if (errno === 3024 || errno === 1969 || code === 'ER_QUERY_TIMEOUT' || code === 'ER_STATEMENT_TIMEOUT') {
      return problem('timeout', code ?? String(errno), `${at}: the snapshot query hit its time limit (${ctx.timeoutMs} ms)`, 'The server is overloaded; try again with a longer timeout.');
    }
  }

  if (code && UNREACHABLE_CODES.has(code)) {
    return problem(
      'unreachable',
      code,
      `${at} is unreachable (${code}): ${msg}`,
      code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'The host name does not resolve: check it, and that the bot uses the VPC resolver.'
        : 'Check host and port, security groups, and that the bot runs in a subnet that can reach the database.',
    );
  }
  if ((code && TIMEOUT_CODES.has(code)) || /timeout|timed out/i.test(msg)) {
    return problem('timeout', code, `${at} did not answer in time: ${msg}`, 'Check the network path (a security group that drops packets looks like this) and the server load.');
  }
  if (/connection terminated|server closed the connection|connection lost/i.test(msg)) {
    return problem('unreachable', code, `${at} closed the connection: ${msg}`, 'The server or a proxy in between dropped us; check server logs and proxies (RDS Proxy, PgBouncer).');
  }
  return problem('query_failed', code ?? (errno === null ? null : String(errno)), `${at}: ${msg}`, 'Unexpected failure while reading sessions; run with LEAKHOUND_DEBUG=1 for details.');
}

/** PostgreSQL without pg_read_all_stats: other roles' sessions show up with their details hidden. */
export function pgHiddenSessionsProblem(user: string, hidden: number, total: number): SnapshotProblem {
  return problem(
    'insufficient_privilege',
    'pg_monitor',
    `${user} lacks pg_monitor: state, ages and queries of ${hidden} of ${total} sessions (other roles') are hidden ("<insufficient privilege>")`,
    `GRANT pg_monitor TO ${user}; (or at least pg_read_all_stats). See ${PG_GRANTS}.`,
    false,
  );
}

export function invalidTargetProblem(message: string): SnapshotProblem {
  return problem('invalid_target', null, message, 'Use postgres://user:password@host:5432/db or mysql://user:password@host:3306/db.');
}
