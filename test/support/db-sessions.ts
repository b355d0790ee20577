// Helpers for the session tests: reachability of the machine's servers, unique names, clients
// that hold a session in a given state, and URL surgery for other roles.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2';
import pg from 'pg';

/** When set, a missing server fails the suite instead of skipping it. */
export const REQUIRE_ALL = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);

export const PG15_URL = process.env.LEAKHOUND_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MARIADB_URL = process.env.LEAKHOUND_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Short, unique suffix for database, role and application names (tests run in parallel). */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The same server, another user/password/database. */
export function withCredentials(url: string, user: string, password: string | null, database?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = password === null ? '' : encodeURIComponent(password);
  if (database !== undefined) u.pathname = `/${database}`;
  return u.toString();
}

export async function pgReachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function mysqlReachable(url: string): Promise<boolean> {
  const conn = mysql.createConnection({ uri: url, connectTimeout: 2_000 });
  conn.on('error', () => undefined);
  try {
    await conn.promise().query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    conn.destroy();
  }
}

/** Unreachable server: skip, unless LEAKHOUND_REQUIRE_ALL asks for every suite to run. */
export function skipUnless(available: boolean): boolean {
  return !available && !REQUIRE_ALL;
}

export function assertAvailable(available: boolean, what: string): void {
  if (!available) throw new Error(`${what} is unreachable and LEAKHOUND_REQUIRE_ALL is set`);
}

/** A pg client that never crashes the test process when the server terminates it. */
export async function pgClient(url: string, applicationName: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

export async function endAll(clients: Array<{ end(): Promise<void> }>): Promise<void> {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
}

/** Polls until `check` is true (or fails after `ms`). */
export async function waitFor(check: () => Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Everything in a serialized snapshot that must never be there. */
export function leaked(json: string, secrets: string[]): string[] {
  return secrets.filter((s) => json.includes(s));
}
