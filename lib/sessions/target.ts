// Database URLs: which engine a URL names, its connection parts, and a printable form of it.
// A password must never be echoed, so every URL that reaches a message goes through redactUrl.
import { z } from 'zod';
import { redactUrl } from '../redact/index.ts';
import type { Engine } from './model.ts';

export type UrlEngine = 'postgres' | 'mysql';

export interface DatabaseTarget {
  /** Which driver speaks to it; MariaDB is told apart from MySQL once connected. */
  engine: UrlEngine;
  /** Engine as the URL names it (mariadb:// says mariadb up front). */
  declaredEngine: Engine;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string | null;
  /** TLS requested by the URL (sslmode=require|verify-*, ssl=true). */
  tls: 'off' | 'require' | 'verify';
  /** The URL with the password replaced by `***`. */
  redacted: string;
  /** The URL as given, for drivers that parse their own parameters (never printed). */
  url: string;
}

export class DatabaseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUrlError';
  }
}

const SCHEMES: Record<string, { engine: UrlEngine; declared: Engine; port: number }> = {
  'postgres:': { engine: 'postgres', declared: 'postgres', port: 5432 },
  'postgresql:': { engine: 'postgres', declared: 'postgres', port: 5432 },
  'mysql:': { engine: 'mysql', declared: 'mysql', port: 3306 },
  'mariadb:': { engine: 'mysql', declared: 'mariadb', port: 3306 },
};

const urlSchema = z.string().trim().min(1, 'the database URL is empty').max(4096, 'the database URL is too long');

/**
 * An `@` after the host means the user or password held a `/`, `?` or `#` that was not
 * percent-encoded: the URL parser ended the authority there, and the rest of the password now
 * sits in the path or the query, where no redaction looks.
 */
const cutAuthority = (u: URL): boolean => `${u.pathname}${u.search}${u.hash}`.includes('@');

/** Parses and validates a database URL; throws DatabaseUrlError with a one-line reason. */
export function parseDatabaseUrl(raw: unknown): DatabaseTarget {
  const checked = urlSchema.safeParse(raw);
  if (!checked.success) throw new DatabaseUrlError(checked.error.issues[0]?.message ?? 'invalid database URL');
  const text = checked.data;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new DatabaseUrlError(`not a URL: ${redactUrl(text)} (expected postgres://user:password@host:5432/db or mysql://…)`);
  }
  const scheme = SCHEMES[u.protocol];
  if (!scheme) {
    throw new DatabaseUrlError(
      `unsupported scheme "${u.protocol.replace(/:$/, '')}" (use postgres://, postgresql://, mysql:// or mariadb://)`,
    );
  }
  if (!u.hostname) throw new DatabaseUrlError(`no host in ${redactUrl(text)}`);
  if (cutAuthority(u)) {
    throw new DatabaseUrlError(`${redactUrl(text)}: "@" after the host; percent-encode / ? # @ in the user and password (encodeURIComponent)`);
  }
  const port = u.port ? Number(u.port) : scheme.port;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new DatabaseUrlError(`bad percent-encoding in the user or password of ${redactUrl(text)}`);
    }
  };
  const dbPath = u.pathname.replace(/^\//, '');
  const sslmode = (u.searchParams.get('sslmode') ?? '').toLowerCase();
  const ssl = (u.searchParams.get('ssl') ?? '').toLowerCase();
  const tls: DatabaseTarget['tls'] =
    sslmode === 'verify-full' || sslmode === 'verify-ca' || ssl === 'verify'
      ? 'verify'
      : sslmode === 'require' || ssl === 'true' || ssl === '1'
        ? 'require'
        : 'off';
  return {
    engine: scheme.engine,
    declaredEngine: scheme.declared,
    // URL keeps IPv6 hosts in brackets; drivers want them bare.
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decode(u.username) || (scheme.engine === 'postgres' ? 'postgres' : 'root'),
    password: decode(u.password),
    database: dbPath ? decode(dbPath) : null,
    tls,
    redacted: redactUrl(text),
    url: text,
  };
}
