// Throw-away PostgreSQL databases for integration tests and fixture capture.
//
// createScratchDb() creates `lh_scratch_<pid>_<random>` on the server named by LEAKHOUND_PG_URL
// (default postgres://postgres@127.0.0.1:5432/test, trust auth), loads the billing-api schema
// (lib/demo/goservice/schema.sql) and returns helpers to read pg_stat_activity for it. drop() ends
// every session on it and drops it. Databases left behind by a process that died are dropped the
// next time one is created.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { processAlive } from '../../lib/localdb/leftovers.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_SQL_PATH = join(here, '..', '..', 'lib', 'demo', 'goservice', 'schema.sql');

/** Admin connection URL (any database on the target server; used to create and drop). */
export const ADMIN_PG_URL = process.env.LEAKHOUND_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const PREFIX = 'lh_scratch_';

export interface PgSession {
  pid: number;
  state: string | null;
  applicationName: string;
  query: string;
  waitEventType: string | null;
  waitEvent: string | null;
  xactStart: Date | null;
  stateChange: Date | null;
  backendStart: Date | null;
}

export interface ScratchDb {
  readonly name: string;
  /** URL for clients (node-postgres). */
  readonly url: string;
  /** URL for the Go service (lib/pq): sslmode=disable and the given application_name. */
  readonly dsn: string;
  readonly applicationName: string;
  /** Runs one statement on a short-lived connection to the scratch database. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Client backends connected to this database (the caller's own connection excluded). */
  sessions(opts?: { applicationName?: string }): Promise<PgSession[]>;
  /** state -> count for sessions of `applicationName` (default: this db's application name). */
  sessionStates(applicationName?: string): Promise<Record<string, number>>;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 30_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when the admin URL accepts a connection within two seconds. */
export async function isPostgresAvailable(): Promise<boolean> {
  try {
    const client = new pg.Client({ connectionString: ADMIN_PG_URL, connectionTimeoutMillis: 2_000 });
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}


function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

async function dropStale(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
    PREFIX.replace(/_/g, '\\_') + '%',
  ]);
  for (const { datname } of rows) {
    const pid = Number(/^lh_scratch_(\d+)_/.exec(datname)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`).catch(() => undefined);
  }
}

export async function createScratchDb(opts: { applicationName?: string } = {}): Promise<ScratchDb> {
  const name = `${PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  const applicationName = opts.applicationName ?? 'billing-api';
  await withClient(ADMIN_PG_URL, async (admin) => {
    await dropStale(admin);
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  });
  const url = withDatabase(ADMIN_PG_URL, name);
  const schema = await readFile(SCHEMA_SQL_PATH, 'utf8');
  await withClient(url, (c) => c.query(schema));

  const dsnUrl = new URL(url);
  dsnUrl.searchParams.set('sslmode', 'disable');
  dsnUrl.searchParams.set('application_name', applicationName);
  const dsn = dsnUrl.toString();

  const query = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> =>
    withClient(url, async (c) => (await c.query<R>(sql, params)).rows);

  const sessions = async (o: { applicationName?: string } = {}): Promise<PgSession[]> => {
    const rows = await withClient(ADMIN_PG_URL, async (c) => {
      const res = await c.query(
        `SELECT pid, state, application_name, query, wait_event_type, wait_event, xact_start, state_change, backend_start
           FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            AND ($2::text IS NULL OR application_name = $2)
          ORDER BY backend_start`,
        [name, o.applicationName ?? null],
      );
      return res.rows as Array<Record<string, unknown>>;
    });
    return rows.map((r) => ({
      pid: Number(r.pid),
      state: (r.state as string | null) ?? null,
      applicationName: String(r.application_name ?? ''),
      query: String(r.query ?? ''),
      waitEventType: (r.wait_event_type as string | null) ?? null,
      waitEvent: (r.wait_event as string | null) ?? null,
      xactStart: (r.xact_start as Date | null) ?? null,
      stateChange: (r.state_change as Date | null) ?? null,
      backendStart: (r.backend_start as Date | null) ?? null,
    }));
  };

  const sessionStates = async (app = applicationName): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const s of await sessions({ applicationName: app })) {
      const key = s.state ?? 'unknown';
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };

  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await withClient(ADMIN_PG_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  };

  return { name, url, dsn, applicationName, query, sessions, sessionStates, drop };
}
