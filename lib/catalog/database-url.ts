// Resolve a service's connection string at the moment it is needed. The string is returned to
// the caller only; errors describe where it should have come from, never what it contains.
import { errorMessage, withDeadline } from '../errors/index.ts';
import type { Database, Env, Service } from './model.ts';

/** Reads a Secrets Manager secret or SSM parameter; injected so this module needs no AWS SDK. */
export type SecretReader = (ref: string, signal: AbortSignal) => Promise<string>;

export interface ResolveDatabaseUrlOptions {
  readSecret?: SecretReader;
  /** Bound on the secret read. */
  timeoutMs?: number;
}

export type DatabaseUrlResult =
  | { ok: true; url: string; from: 'env' | 'secret' | 'inline' }
  | { ok: false; error: string };

const DEFAULT_SECRET_TIMEOUT_MS = 3000;

export async function resolveDatabaseUrl(
  target: Service | Database,
  env: Env,
  options: ResolveDatabaseUrlOptions = {},
): Promise<DatabaseUrlResult> {
  const database = 'engine' in target ? target : target.database;
  const source = database.url;
  switch (source.kind) {
    case 'inline':
      return { ok: true, url: source.value, from: 'inline' };
    case 'env': {
      const value = env[source.name];
      if (value === undefined || value.trim() === '') {
        return { ok: false, error: `database "${database.id}": environment variable ${source.name} is not set` };
      }
      return { ok: true, url: value, from: 'env' };
    }
    case 'secret': {
      if (!options.readSecret) {
        return { ok: false, error: `database "${database.id}": secret ${source.ref} needs a secret reader, and none is configured` };
      }
      const readSecret = options.readSecret;
      try {
        const value = await withDeadline(options.timeoutMs ?? DEFAULT_SECRET_TIMEOUT_MS, (signal) => readSecret(source.ref, signal), 'timed out');
        const url = secretToUrl(value);
        if (url === null) return { ok: false, error: `database "${database.id}": secret ${source.ref} holds no connection string` };
        return { ok: true, url, from: 'secret' };
      } catch (err) {
        const reason = errorMessage(err);
        return { ok: false, error: `database "${database.id}": could not read secret ${source.ref}: ${reason}` };
      }
    }
  }
}

/**
 * A secret is either the URL itself or a JSON object; RDS-managed secrets hold
 * `{engine, host, port, username, password, dbname}` and are turned into a URL here.
 */
export function secretToUrl(value: string): string | null {
  const text = value.trim();
  if (text === '') return null;
  if (!text.startsWith('{')) return text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  for (const key of ['url', 'uri', 'connectionString', 'DATABASE_URL']) {
    if (typeof record[key] === 'string' && record[key] !== '') return record[key];
  }
  const { host, username, password, engine } = record;
  if (typeof host !== 'string' || typeof username !== 'string') return null;
  const scheme = typeof engine === 'string' && /mysql|maria/i.test(engine) ? 'mysql' : 'postgres';
  const port = typeof record['port'] === 'number' || typeof record['port'] === 'string' ? `:${String(record['port'])}` : '';
  const dbname = typeof record['dbname'] === 'string' ? `/${encodeURIComponent(record['dbname'])}` : '';
  const auth = `${encodeURIComponent(username)}${typeof password === 'string' ? `:${encodeURIComponent(password)}` : ''}`;
  return `${scheme}://${auth}@${host}${port}${dbname}`;
}
