// A real PgBouncer (Debian's /usr/sbin/pgbouncer) in front of the test PostgreSQL, for the
// integration tests: its own ini, auth file and Unix socket directory in a temp directory, a
// free port on 127.0.0.1, and PostgreSQL reached over its Unix socket, so pg_stat_activity shows
// every pooled session as `local` (never the service's address) and only the join through the
// admin console can tie a backend to its client.
//
//   const bouncer = await startPgBouncer({ database: db.name, poolMode: 'transaction', poolSize: 3 });
//   bouncer.url(db.name)   // for the service: postgres://app:…@127.0.0.1:PORT/<db>
//   bouncer.adminUrl       // for Leakhound: postgres://leakhound:…@127.0.0.1:PORT/pgbouncer (stats_users)
//   await bouncer.stop();
//
// PgBouncer refuses to run as root: as root it is started as the `postgres` user (LEAKHOUND_PGBOUNCER_USER).
// With LEAKHOUND_REQUIRE_ALL=1 a missing PgBouncer fails the caller (requirePgBouncer) instead of skipping.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PGBOUNCER_BIN = process.env.LEAKHOUND_PGBOUNCER ?? '/usr/sbin/pgbouncer';
const RUN_AS = process.env.LEAKHOUND_PGBOUNCER_USER ?? 'postgres';
/** Where the test PostgreSQL listens on a Unix socket (Debian's default). */
const PG_SOCKET_DIR = process.env.LEAKHOUND_PG_SOCKET_DIR ?? '/var/run/postgresql';
const REQUIRED = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);

export type PoolMode = 'session' | 'transaction';

export interface PgBouncerOptions {
  /** The PostgreSQL database to pool (the scratch database's name). */
  database: string;
  poolMode: PoolMode;
  /** default_pool_size (default 5). */
  poolSize?: number;
  /** application_name_add_host (default on, as many sites run it). */
  addHost?: boolean;
}

export interface PgBouncer {
  readonly port: number;
  /** Admin console URL for a stats_users member (read-only SHOW commands). */
  readonly adminUrl: string;
  /** The stats user's password (for redaction assertions). */
  readonly adminPassword: string;
  /** A client URL for `database` through PgBouncer, with the given application_name ('' for none). */
  url(database: string, applicationName?: string): string;
  /** SHOW <what> on the admin console (rows as node-postgres returns them). */
  show(what: 'POOLS' | 'CLIENTS' | 'SERVERS'): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

/** Null when PgBouncer can run here, else why not. */
export async function pgbouncerProblem(): Promise<string | null> {
  try {
    await access(PGBOUNCER_BIN);
  } catch {
    return `${PGBOUNCER_BIN} not found (apt-get install pgbouncer; .ci/run installs it)`;
  }
  try {
    await access(join(PG_SOCKET_DIR, '.s.PGSQL.5432'));
  } catch {
    return `PostgreSQL's Unix socket ${PG_SOCKET_DIR}/.s.PGSQL.5432 is missing`;
  }
  return null;
}

/** For describe.runIf: true when it can run, or when LEAKHOUND_REQUIRE_ALL wants a loud failure. */
export async function shouldRunPgBouncerSuite(): Promise<boolean> {
  return REQUIRED || (await pgbouncerProblem()) === null;
}

/** Throws (fails the suite) when PgBouncer cannot run: called first in beforeAll. */
export async function requirePgBouncer(): Promise<void> {
  const problem = await pgbouncerProblem();
  if (problem) throw new Error(`PgBouncer is needed here${REQUIRED ? ' and LEAKHOUND_REQUIRE_ALL is set' : ''}: ${problem}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | null> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPgBouncer(opts: PgBouncerOptions): Promise<PgBouncer> {
  await requirePgBouncer();
  const dir = await mkdtemp(join(tmpdir(), 'lh-pgbouncer-'));
  const port = await freePort();
  const appPassword = randomBytes(9).toString('hex');
  const adminPassword = randomBytes(9).toString('hex');
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    `[databases]
${opts.database} = host=${PG_SOCKET_DIR} port=5432 dbname=${opts.database} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir = ${dir}
auth_type = md5
auth_file = ${join(dir, 'users.txt')}
stats_users = leakhound
pool_mode = ${opts.poolMode}
default_pool_size = ${opts.poolSize ?? 5}
max_client_conn = 200
application_name_add_host = ${opts.addHost === false ? 0 : 1}
ignore_startup_parameters = extra_float_digits
logfile = ${join(dir, 'pgbouncer.log')}
pidfile = ${join(dir, 'pgbouncer.pid')}
`,
  );
  await writeFile(join(dir, 'users.txt'), `"app" "${appPassword}"\n"leakhound" "${adminPassword}"\n`);
  const root = process.getuid?.() === 0;
  const ids = root ? await userIds(RUN_AS) : null;
  if (root && !ids) throw new Error(`PgBouncer refuses to run as root and there is no user ${RUN_AS} to run it as`);
  if (ids) {
    for (const f of ['', 'pgbouncer.ini', 'users.txt']) await chown(join(dir, f), ids.uid, ids.gid);
  }
  await chmod(dir, 0o700);

  const child: ChildProcess = spawn(PGBOUNCER_BIN, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const adminUrl = `postgres://leakhound:${adminPassword}@127.0.0.1:${port}/pgbouncer`;
  const show = async (what: string) => {
    const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
    await c.connect();
    try {
      return (await c.query(`SHOW ${what}`)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  // Ready when the console answers.
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      await show('VERSION');
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > until) {
        const log = await readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
        await stop();
        throw new Error(`PgBouncer did not start: ${(err as Error).message}\n${stderr}${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    adminUrl,
    adminPassword,
    url: (database, applicationName = 'billing-api') =>
      `postgres://app:${appPassword}@127.0.0.1:${port}/${encodeURIComponent(database)}?sslmode=disable${applicationName ? `&application_name=${encodeURIComponent(applicationName)}` : ''}`,
    show: (what) => show(what),
    stop,
  };
}
