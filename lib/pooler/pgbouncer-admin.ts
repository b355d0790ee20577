// PgBouncer's admin console, read-only: SHOW VERSION, POOLS, CLIENTS, SERVERS on one connection
// under one deadline. The console speaks the simple query protocol only and refuses startup
// parameters it does not track, so the client sends none but application_name, and queries
// without parameters. Rows are outside input: validated with zod.
import { z } from 'zod';
import { errorMessage, withDeadline } from '../errors/index.ts';
import { redact } from '../redact/index.ts';
import { destroyPgClient, parseDatabaseUrl } from '../sessions/index.ts';
import type { PgBouncerConnection, PgBouncerPool, PgBouncerRead, PoolMode } from './model.ts';

const count = z.coerce.number().int().min(0).max(1e9);
const text = z.string().max(1000);

const poolRow = z.object({
  database: text,
  user: text,
  cl_active: count,
  cl_waiting: count,
  sv_active: count,
  sv_idle: count,
  sv_used: count,
  maxwait: count,
  maxwait_us: count.optional(),
  pool_mode: text.optional(),
});

const connectionRow = z.object({
  user: text,
  database: text,
  state: text,
  addr: text,
  port: count,
  connect_time: text,
  ptr: text,
  link: text.nullable(),
  remote_pid: count.optional(),
  application_name: text.optional(),
});

const versionRow = z.object({ version: text });

const MODES = new Set<PoolMode>(['session', 'transaction', 'statement']);

/** `2026-12-02 02:20:59 UTC` → epoch ms; null in any other zone (its offset is unknown here). */
export function parseConnectTime(value: string): number | null {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.\d+)? (UTC|GMT)$/.exec(value.trim());
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isFinite(ms) ? ms : null;
}

function toPool(r: z.infer<typeof poolRow>): PgBouncerPool {
  const mode = r.pool_mode as PoolMode | undefined;
  return {
    database: r.database,
    user: r.user,
    mode: mode && MODES.has(mode) ? mode : null,
    clientsActive: r.cl_active,
    clientsWaiting: r.cl_waiting,
    serversActive: r.sv_active,
    serversIdle: r.sv_idle,
    serversUsed: r.sv_used,
    maxWaitSeconds: r.maxwait + (r.maxwait_us ?? 0) / 1e6,
  };
}

function toConnection(r: z.infer<typeof connectionRow>): PgBouncerConnection {
  return {
    ptr: r.ptr,
    link: r.link ? r.link : null,
    user: r.user,
    database: r.database,
    state: r.state,
    addr: r.addr,
    port: r.port,
    connectTimeMs: parseConnectTime(r.connect_time),
    applicationName: r.application_name ?? '',
    remotePid: r.remote_pid ?? 0,
  };
}

function rowsOf<T>(schema: z.ZodType<T>, rows: unknown[], what: string): T[] {
  const parsed = z.array(schema).max(100_000).safeParse(rows);
  if (!parsed.success) throw new Error(`${what}: unexpected rows from the admin console (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/**
 * Reads the console at `adminUrl` (postgres://user:password@host:port/pgbouncer). Throws an Error
 * whose message is redacted and names no password.
 */
export async function readPgBouncer(adminUrl: string, opts: { timeoutMs: number; applicationName?: string }): Promise<PgBouncerRead> {
  const started = Date.now();
  const target = parseDatabaseUrl(adminUrl);
  const where = `${target.host}:${target.port}`;
  // Imported here, not at the top: only a catalog with a PgBouncer pooler needs pg for this.
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    // The console is the virtual database "pgbouncer" whatever the URL's path says.
    database: 'pgbouncer',
    application_name: opts.applicationName ?? 'leakhound',
    connectionTimeoutMillis: opts.timeoutMs,
    ...(target.tls === 'off' ? {} : { ssl: { rejectUnauthorized: target.tls === 'verify' } }),
  });
  client.on('error', () => undefined);
  try {
    return await withDeadline(opts.timeoutMs, async () => {
      await client.connect();
      // One command per query: the console refuses several in one message.
      const show = async (command: string) => (await client.query(command)).rows as unknown[];
      const version = rowsOf(versionRow, await show('SHOW VERSION'), 'SHOW VERSION')[0]?.version ?? null;
      const pools = rowsOf(poolRow, await show('SHOW POOLS'), 'SHOW POOLS').map(toPool);
      const clients = rowsOf(connectionRow, await show('SHOW CLIENTS'), 'SHOW CLIENTS').map(toConnection);
      const servers = rowsOf(connectionRow, await show('SHOW SERVERS'), 'SHOW SERVERS').map(toConnection);
      return { target: where, version, pools, clients, servers, durationMs: Date.now() - started };
    });
  } catch (err) {
    const reason = errorMessage(err);
    throw new Error(redact(`PgBouncer admin console at ${where}: ${reason}`, { known: [target.password] }));
  } finally {
    destroyPgClient(client);
  }
}
