// Builds and drives lib/demo/goservice ("billing-api"), the real Go service that leaks database
// connections. Used by integration tests, test/support/capture-fixtures.ts and bench/.
//
//   const bin = await buildGoService();                       // cached by a hash of the Go sources
//   const svc = await startGoService({ dsn: db.dsn, maxOpen: 6 });
//   await svc.hit('/transfer?from=1&to=2&amount=5000', { method: 'POST' });
//   const text = (await svc.dump(1)).toString();
//   await svc.stop();
//
// The service is built in GOPATH mode (no module downloads here) from a private GOPATH in which
// its sources sit at github.com/acme/billing-api, with -trimpath: dumps then show stable paths
// such as `github.com/acme/billing-api/handlers.go:92` and `database/sql/sql.go:2187`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { byDeadline } from '../errors/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');
export const GO_SOURCE_DIR = join(REPO_ROOT, 'lib', 'demo', 'goservice');
/** Import path the sources are built under (it shows in file paths of every dump). */
export const GO_IMPORT_PATH = 'github.com/acme/billing-api';
/** Where Debian's golang-github-*-dev packages put lib/pq, go-sql-driver/mysql, sqlx and client_golang. */
export const SYSTEM_GOPATH = process.env.LEAKHOUND_GOPATH ?? '/usr/share/gocode';
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'leakhound', 'goservice');
const GO = process.env.LEAKHOUND_GO ?? 'go';

// ---------------------------------------------------------------------------------------------
// Building

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** `go version` output, or null when no Go toolchain is on PATH. */
export async function goVersion(): Promise<string | null> {
  try {
    const r = await run(GO, ['version'], { timeoutMs: 15_000 });
    return r.code === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

async function goSources(): Promise<string[]> {
  return (await readdir(GO_SOURCE_DIR)).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go')).sort();
}

let building: Promise<string> | null = null;

/**
 * Builds the service once per source hash into node_modules/.cache/leakhound/goservice/<hash>/
 * and returns the binary's path. Throws a clear Error when Go or the Debian Go libraries are
 * missing or the build fails.
 */
export function buildGoService(): Promise<string> {
  building ??= doBuild().catch((err: unknown) => {
    building = null;
    throw err;
  });
  return building;
}

async function doBuild(): Promise<string> {
  const version = await goVersion();
  if (!version) {
    throw new Error(
      `Go toolchain not found ("${GO} version" failed). The Go fixture service needs Go >= 1.19 and the Debian ` +
        'packages golang-go golang-github-lib-pq-dev golang-github-go-sql-driver-mysql-dev (see .ci/run).',
    );
  }
  const files = await goSources();
  const hash = createHash('sha256');
  hash.update(version + '\0' + GO_IMPORT_PATH + '\0');
  for (const f of files) hash.update(f + '\0').update(await readFile(join(GO_SOURCE_DIR, f))).update('\0');
  const key = hash.digest('hex').slice(0, 16);
  const dir = join(CACHE_DIR, key);
  const bin = join(dir, 'billing-api');
  try {
    await access(bin);
    return bin;
  } catch {
    // not built yet
  }

  await mkdir(CACHE_DIR, { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, 'build-'));
  try {
    const pkgDir = join(work, 'gopath', 'src', ...GO_IMPORT_PATH.split('/'));
    await mkdir(pkgDir, { recursive: true });
    for (const f of files) await copyFile(join(GO_SOURCE_DIR, f), join(pkgDir, f));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: `${join(work, 'gopath')}:${SYSTEM_GOPATH}`,
      GOFLAGS: '',
      GOPROXY: 'off',
      CGO_ENABLED: '0',
    };
    if (!env.GOCACHE && !env.HOME) env.GOCACHE = join(CACHE_DIR, 'go-build-cache');
    const out = join(work, 'billing-api');
    const r = await run(GO, ['build', '-trimpath', '-o', out, GO_IMPORT_PATH], { cwd: work, env, timeoutMs: 300_000 });
    if (r.code !== 0) {
      const hint = /cannot find package "github.com\/(lib\/pq|go-sql-driver|prometheus)/.test(r.stderr)
        ? ` (install golang-github-lib-pq-dev golang-github-go-sql-driver-mysql-dev golang-github-prometheus-client-golang-dev, or point LEAKHOUND_GOPATH at a GOPATH that has them)`
        : '';
      throw new Error(`go build of the fixture service failed (exit ${r.code})${hint}:\n${r.stderr.trim()}`);
    }
    await mkdir(dir, { recursive: true });
    await rename(out, bin); // atomic: a concurrent build of the same sources just replaces it
    return bin;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Running

export interface StartOptions {
  /** Database URL (postgres://… or mysql://…). */
  dsn: string;
  /** sql.DB SetMaxOpenConns (default 10). */
  maxOpen?: number;
  maxIdle?: number;
  /** Extra environment, e.g. { GODEBUG: 'tracebackancestors=5' }. GOTRACEBACK defaults to "all". */
  env?: Record<string, string>;
  /** Extra command-line flags. */
  args?: string[];
  startTimeoutMs?: number;
}

export type HitInit = RequestInit & {
  /** Abort the request after this long (default 10 s). */
  timeoutMs?: number;
};

export interface DbStats {
  maxOpen: number;
  open: number;
  inUse: number;
  idle: number;
  waitCount: number;
  waitDurationMs: number;
  goroutines: number;
  warmersInFlight: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GoService {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  /** fetch() against the service with a timeout; never throws on non-2xx. */
  hit(path: string, init?: HitInit): Promise<Response>;
  /** hit() and read the body as text. */
  text(path: string, init?: HitInit): Promise<{ status: number; body: string }>;
  /** Raw bytes of /debug/pprof/goroutine?debug=N (debug=0 is the gzipped protobuf). */
  dump(debug: 0 | 1 | 2, opts?: { timeoutMs?: number }): Promise<Buffer>;
  /** Streams /debug/pprof/goroutine?debug=N into a file; returns the byte count. */
  dumpToFile(debug: 0 | 1 | 2, path: string, opts?: { timeoutMs?: number }): Promise<number>;
  /** GET /debug/dbstats: sql.DBStats, runtime.NumGoroutine and parked cache warmers. */
  stats(): Promise<DbStats>;
  /** Polls `check` (default every 50 ms) until it returns a truthy value or the timeout passes. */
  waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs?: number): Promise<T>;
  /** Sends SIGQUIT, waits for the process to exit and returns what it wrote to stderr since. */
  sigquit(timeoutMs?: number): Promise<string>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Kills the process (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

// Every running service, killed synchronously if this process exits without stopping them. The
// service also exits on its own when its stdin (a pipe from us) closes, which covers SIGKILL.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

function timeoutSignal(ms: number, other?: AbortSignal | null): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return other ? AbortSignal.any([t, other]) : t;
}

export async function startGoService(opts: StartOptions): Promise<GoService> {
  const bin = await buildGoService();
  const args = [
    '-listen',
    '127.0.0.1:0',
    '-dsn',
    opts.dsn,
    '-max-open',
    String(opts.maxOpen ?? 10),
    '-exit-on-stdin-eof',
    ...(opts.maxIdle !== undefined ? ['-max-idle', String(opts.maxIdle)] : []),
    ...(opts.args ?? []),
  ];
  const child = spawn(bin, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, GOTRACEBACK: 'all', ...opts.env },
  });
  trackChild(child);

  const stderrChunks: Buffer[] = [];
  let stderrBytes = 0;
  child.stderr!.on('data', (d: Buffer) => {
    stderrChunks.push(d);
    stderrBytes += d.length;
  });
  const stderrText = (from = 0): string => Buffer.concat(stderrChunks).subarray(from).toString('utf8');

  const exited = new Promise<ExitStatus>((res) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      res({ code, signal });
    });
  });
  // Wait for 'close' too so that all of stderr has been read before anyone looks at it.
  const closed = new Promise<void>((res) => child.once('close', () => res()));
  child.stdin!.on('error', () => undefined); // EPIPE once it exits

  const url = await new Promise<string>((res, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`billing-api did not report its address within ${opts.startTimeoutMs ?? 15_000} ms; stderr:\n${stderrText()}`));
    }, opts.startTimeoutMs ?? 15_000);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const m = /^listening on (\S+)$/.exec(buf.slice(0, nl).trim());
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      if (m) res('http://' + m[1]);
      else {
        child.kill('SIGKILL');
        reject(new Error(`unexpected first line from billing-api: ${buf.slice(0, nl)}`));
      }
    };
    child.stdout!.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(async ({ code, signal }) => {
      clearTimeout(timer);
      await closed;
      reject(new Error(`billing-api exited before listening (code ${code}, signal ${signal}); stderr:\n${stderrText()}`));
    });
  });

  const hit = (path: string, init: HitInit = {}): Promise<Response> => {
    const { timeoutMs = 10_000, signal, ...rest } = init;
    return fetch(url + path, { ...rest, signal: timeoutSignal(timeoutMs, signal) });
  };

  const text = async (path: string, init?: HitInit) => {
    const res = await hit(path, init);
    return { status: res.status, body: await res.text() };
  };

  const dumpPath = (debug: 0 | 1 | 2) => `/debug/pprof/goroutine?debug=${debug}`;

  const dump = async (debug: 0 | 1 | 2, o: { timeoutMs?: number } = {}): Promise<Buffer> => {
    const res = await hit(dumpPath(debug), { timeoutMs: o.timeoutMs ?? 60_000 });
    if (!res.ok) throw new Error(`goroutine dump debug=${debug}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };

  const dumpToFile = async (debug: 0 | 1 | 2, path: string, o: { timeoutMs?: number } = {}): Promise<number> => {
    const res = await hit(dumpPath(debug), { timeoutMs: o.timeoutMs ?? 300_000 });
    if (!res.ok || !res.body) throw new Error(`goroutine dump debug=${debug}: HTTP ${res.status}`);
    let bytes = 0;
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (d: Buffer) => (bytes += d.length));
    await pipeline(body, createWriteStream(path));
    return bytes;
  };

  const stats = async (): Promise<DbStats> => {
    const res = await hit('/debug/dbstats');
    if (!res.ok) throw new Error(`/debug/dbstats: HTTP ${res.status}`);
    return (await res.json()) as DbStats;
  };

  const waitFor = async <T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown = null;
    for (;;) {
      try {
        const v = await check();
        if (v) return v;
      } catch (err) {
        lastErr = err;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const waitExit = async (ms: number): Promise<boolean> => (await byDeadline(exited.then(() => true), Date.now() + ms, false)).value;

  const sigquit = async (timeoutMs = 15_000): Promise<string> => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('billing-api already exited');
    const from = stderrBytes;
    child.kill('SIGQUIT');
    if (!(await waitExit(timeoutMs))) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`billing-api did not exit within ${timeoutMs} ms of SIGQUIT`);
    }
    await closed;
    return stderrText(from);
  };

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(3_000))) child.kill('SIGKILL');
    }
    await exited;
    child.stdin!.destroy();
  };

  return {
    url,
    pid: child.pid!,
    exited,
    hit,
    text,
    dump,
    dumpToFile,
    stats,
    waitFor,
    sigquit,
    stderr: () => stderrText(),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Driving the leaks (shared by the integration test, the fixture capture and the bench)

/** One request that is expected to park (pool exhausted); abort() cancels it. */
export interface ParkedRequest {
  /** Settles when the response arrives or the request is aborted (never rejects). */
  done: Promise<Response | Error>;
  abort(): void;
}

export const leaks = {
  /** POST /transfer with an amount above the balance: 409, leaks one transaction. */
  async transfer(svc: GoService, from = 1): Promise<void> {
    const to = from === 2 ? 3 : 2;
    await expectStatus(svc, `/transfer?from=${from}&to=${to}&amount=5000`, 409, { method: 'POST' });
  },
  /** GET /report: 500 on the NULL note, leaks one Rows (with an awaitDone goroutine). */
  async report(svc: GoService): Promise<void> {
    await expectStatus(svc, '/report', 500);
  },
  /** GET /export?format=xlsx: 400, leaks one Rows under context.Background (no goroutine). */
  async export(svc: GoService): Promise<void> {
    await expectStatus(svc, '/export?format=xlsx', 400);
  },
  /** GET /proxy: 200, leaks one HTTP response body (readLoop + writeLoop goroutines). */
  async proxy(svc: GoService): Promise<void> {
    await expectStatus(svc, '/proxy', 200);
  },
  /** GET /orders that will wait for a connection; keep it open until abort(). */
  parkOrders(svc: GoService, customer = 'customer-1'): ParkedRequest {
    const ctl = new AbortController();
    const done = svc
      .hit(`/orders?customer=${encodeURIComponent(customer)}`, { signal: ctl.signal, timeoutMs: 600_000 })
      .then(
        async (res) => {
          await res.arrayBuffer().catch(() => undefined);
          return res;
        },
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
    return { done, abort: () => ctl.abort() };
  },
};

async function expectStatus(svc: GoService, path: string, status: number, init?: HitInit): Promise<void> {
  const res = await svc.text(path, init);
  if (res.status !== status) throw new Error(`${init?.method ?? 'GET'} ${path}: want HTTP ${status}, got ${res.status}: ${res.body.trim()}`);
}

/** Sum of the `N @ …` counts of debug=1 groups whose frames mention `needle`. */
export function countInDebug1(text: string, needle: string): number {
  let total = 0;
  for (const block of text.split(/\n\n+/)) {
    const m = /^(\d+) @/m.exec(block);
    if (m && block.includes(needle)) total += Number(m[1]);
  }
  return total;
}
