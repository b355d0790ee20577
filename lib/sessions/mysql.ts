// MySQL and MariaDB sessions: one connection, three read-only statements (settings, the
// connected-threads counter, and PROCESSLIST joined to INNODB_TRX and the lock waits).
import type { Connection, ConnectionOptions } from 'mysql2';
import { capacityOf } from './capacity.ts';
import { closeAtDeadline } from './deadline.ts';
import { cachedStatementReader, type StatementReading } from './fingerprint.ts';
import type { Engine, Session, SessionState } from './model.ts';
import { problemFromError } from './problems.ts';
import { problemContext } from './postgres.ts';
import type { EngineRead, ReadOptions } from './read.ts';
import type { DatabaseTarget } from './target.ts';

const SETTINGS_SQL = `SELECT @@GLOBAL.max_connections AS max_connections, @@version AS version,
  @@version_comment AS version_comment, CURRENT_USER() AS me`;
const STATUS_SQL = `SHOW GLOBAL STATUS LIKE 'Threads_connected'`;

// Lock waits live in INNODB_LOCK_WAITS on MariaDB and in performance_schema.data_lock_waits on
// MySQL 8; PROCESSLIST.TIME_MS exists only on MariaDB. Ages are whole milliseconds.
function processlistSql(flavor: Engine, timeoutMs: number): string {
  const mariadb = flavor === 'mariadb';
  const waits = mariadb
    ? `SELECT GROUP_CONCAT(b.trx_mysql_thread_id) FROM information_schema.INNODB_LOCK_WAITS w
         JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id WHERE w.requesting_trx_id = t.trx_id`
    : `SELECT GROUP_CONCAT(b.trx_mysql_thread_id) FROM performance_schema.data_lock_waits w
         JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID
         WHERE w.REQUESTING_ENGINE_TRANSACTION_ID = t.trx_id`;
  const select = `SELECT ${mariadb ? '' : `/*+ MAX_EXECUTION_TIME(${timeoutMs}) */ `}
  p.ID AS id, p.USER AS user, p.HOST AS host, p.DB AS db, p.COMMAND AS command, p.STATE AS pstate,
  ${mariadb ? 'FLOOR(p.TIME_MS)' : 'p.TIME * 1000'} AS time_ms,
  p.INFO AS info,
  DATE_FORMAT(t.trx_started, '%Y-%m-%d %H:%i:%s') AS trx_started,
  TIMESTAMPDIFF(MICROSECOND, t.trx_started, NOW(6)) DIV 1000 AS trx_ms,
  t.trx_state AS trx_state,
  CASE WHEN t.trx_state = 'LOCK WAIT' THEN (${waits}) END AS blocked_by
FROM information_schema.PROCESSLIST p
LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
WHERE p.ID <> CONNECTION_ID() AND p.COMMAND <> 'Daemon'`;
  // MariaDB has no MAX_EXECUTION_TIME hint; SET STATEMENT scopes its limit (seconds) to this one query.
  return mariadb ? `SET STATEMENT max_statement_time = ${(timeoutMs / 1000).toFixed(3)} FOR ${select}` : select;
}

interface SettingsRow {
  max_connections: number;
  version: string;
  version_comment: string | null;
  me: string;
}
interface StatusRow {
  Variable_name: string;
  Value: string;
}
interface ProcessRow {
  id: number;
  user: string | null;
  host: string | null;
  db: string | null;
  command: string;
  pstate: string | null;
  time_ms: number | null;
  info: string | null;
  trx_started: string | null;
  trx_ms: number | null;
  trx_state: string | null;
  blocked_by: string | null;
}

const ACTIVE_COMMANDS = new Set(['Query', 'Execute', 'Fetch', 'Prepare', 'Long Data', 'Field List', 'Init DB']);

export function mysqlConnectionOptions(target: DatabaseTarget, timeoutMs: number): ConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    ...(target.database ? { database: target.database } : {}),
    connectTimeout: timeoutMs,
    decimalNumbers: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    // MySQL has no application_name; connection attributes are the closest thing.
    connectAttributes: { program_name: 'leakhound' },
    ...(target.tls === 'off' ? {} : { ssl: { rejectUnauthorized: target.tls === 'verify' } }),
  };
}

/** A promise-returning query with mysql2's client-side timeout (it destroys the connection). */
export function mysqlQuery<T>(conn: Connection, sql: string, timeout: number, values?: unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) => {
    conn.query({ sql, timeout, ...(values ? { values } : {}) }, (err, rows) => (err ? reject(err) : resolve(rows as T[])));
  });
}

/**
 * A new (unconnected) mysql2 connection. mysql2 (~1 MB) is loaded on first use, so what reads
 * only PostgreSQL (and the Lambda functions that never read a database) never load it.
 */
export async function createMysqlConnection(options: ConnectionOptions): Promise<Connection> {
  const { default: mysql } = await import('mysql2');
  return mysql.createConnection(options);
}

export function mysqlConnect(conn: Connection): Promise<void> {
  return new Promise((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
}

export async function readMysql(target: DatabaseTarget, opts: ReadOptions): Promise<EngineRead> {
  const ctx = problemContext(target, opts.timeoutMs);
  const deadlineAt = Date.now() + opts.timeoutMs;
  let conn: Connection;
  try {
    conn = await createMysqlConnection(mysqlConnectionOptions(target, opts.timeoutMs));
  } catch (err) {
    return { engine: target.declaredEngine, serverVersion: null, capacity: null, sessions: [], problems: [problemFromError(err, ctx)] };
  }
  conn.on('error', () => undefined);
  const close = () => conn.destroy();
  let flavor: Engine = target.declaredEngine;
  const result: EngineRead = { engine: flavor, serverVersion: null, capacity: null, sessions: [], problems: [] };
  try {
    await closeAtDeadline(mysqlConnect(conn), deadlineAt, 'connect', opts.timeoutMs, close);
  } catch (err) {
    close();
    result.problems.push(problemFromError(err, ctx));
    return result;
  }
  try {
    const left = () => Math.max(1, deadlineAt - Date.now());
    const [settings] = await closeAtDeadline(mysqlQuery<SettingsRow>(conn, SETTINGS_SQL, left()), deadlineAt, 'query', opts.timeoutMs, close);
    if (!settings) throw new Error('settings query returned no row');
    if (/mariadb/i.test(settings.version) || /mariadb/i.test(settings.version_comment ?? '')) flavor = 'mariadb';
    else if (flavor === 'mariadb') flavor = 'mysql';
    result.engine = flavor;
    result.serverVersion = `${flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${settings.version}`;
    const status = await closeAtDeadline(mysqlQuery<StatusRow>(conn, STATUS_SQL, left()), deadlineAt, 'query', opts.timeoutMs, close);
    const connected = Number(status.find((r) => r.Variable_name.toLowerCase() === 'threads_connected')?.Value ?? NaN);
    result.capacity = capacityOf({
      maxConnections: settings.max_connections,
      // The server admits one connection beyond max_connections for CONNECTION_ADMIN/SUPER.
      reservedForSuperusers: 1,
      reservedForRoles: null,
      availableToApplications: settings.max_connections,
      // Threads_connected counts this connection too.
      inUse: Number.isFinite(connected) ? connected - 1 : 0,
    });
    const rows = await closeAtDeadline(
      mysqlQuery<ProcessRow>(conn, processlistSql(flavor, Math.max(100, Math.floor(left() * 0.8))), left()),
      deadlineAt,
      'query',
      opts.timeoutMs,
      close,
    );
    const fp = cachedStatementReader({ dialect: 'mysql' });
    result.sessions = rows.map((r) => toSession(r, fp));
  } catch (err) {
    close();
    result.problems.push(problemFromError(err, ctx));
    return result;
  }
  conn.end(() => undefined);
  return result;
}

/** `10.0.0.7:53122` → address and port; `localhost` (socket) has no port. */
export function splitHost(host: string | null): { address: string | null; port: number | null } {
  if (!host) return { address: null, port: null };
  const m = /^(.*):(\d+)$/.exec(host);
  if (!m) return { address: host, port: null };
  return { address: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

function toSession(r: ProcessRow, fp: (sql: string | null) => StatementReading): Session {
  const statement = fp(r.info);
  const inTrx = r.trx_started !== null;
  let state: SessionState;
  if (r.command === 'Sleep') state = inTrx ? 'idle_in_transaction' : 'idle';
  else if (ACTIVE_COMMANDS.has(r.command)) state = 'active';
  else state = 'other';
  const { address, port } = splitHost(r.host);
  const lockWait = r.trx_state === 'LOCK WAIT';
  return {
    id: Number(r.id),
    backendStart: null,
    user: r.user,
    database: r.db,
    application: null,
    clientAddress: address,
    clientPort: port,
    state,
    transactionAgeMs: r.trx_ms,
    stateAgeMs: r.time_ms,
    queryAgeMs: state === 'active' ? r.time_ms : null,
    connectionAgeMs: null,
    waitEventType: lockWait ? 'Lock' : null,
    waitEvent: lockWait ? 'innodb row lock' : r.pstate || null,
    blockedBy: r.blocked_by ? r.blocked_by.split(',').map(Number).filter(Number.isSafeInteger) : [],
    fingerprint: statement.fingerprint,
    sqlComment: statement.comment,
    transactionStarted: r.trx_started,
    visible: true,
  };
}
