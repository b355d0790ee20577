// Database URLs: which engine a URL names, its connection parts, and a printable form of it.
// A password must never be echoed, so every URL that reaches a message goes through redactUrl.
import { z } from 'zod';
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

const SECRET_PARAMS = ['password', 'sslpassword', 'pass', 'passwd'];

const urlSchema = z.string().trim().min(1, 'the database URL is empty').max(4096, 'the database URL is too long');

/**
 * An `@` after the host means the user or password held a `/`, `?` or `#` that was not
 * percent-encoded: the URL parser ended the authority there, and the rest of the password now
 * sits in the path or the query, where no redaction looks.
 */
const cutAuthority = (u: URL): boolean => `${u.pathname}${u.search}${u.hash}`.includes('@');

const unparsable = (raw: string): string => {
  // Echo only the scheme, the rest may be a password pasted in the wrong place.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1];
  return scheme ? `${scheme}://<unparsable>` : '<unparsable url>';
};

/** The URL with its password (and password-like query parameters) replaced by `***`. */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return unparsable(raw);
  }
  if (cutAuthority(u)) return unparsable(raw);
  if (u.password) u.password = '***';
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAMS.includes(key.toLowerCase())) u.searchParams.set(key, '***');
  }
  return u.toString();
}

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

const CREDENTIAL_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // user:password@ in any URL (database URLs in error messages and command output). The scheme
  // is bounded: unbounded, a long run like "a-a-a-…" was rescanned from every letter (quadratic).
  [/\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@]+):[^\s@/]+@/gi, '$1:[redacted]@'],
  // Slack tokens, also glued to other text.
  [/xox[abposr]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/xapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  // key=value secrets in DSNs, error messages and shells' output (PGPASSWORD=…, DB_TOKEN=…).
  [/\b([A-Za-z_]*(?:password|passwd|pwd|secret|token))=([^\s&;,"')]+)/gi, '$1=[redacted]'],
  // AWS access key ids.
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '$1[redacted]'],
];

/** Removes anything shaped like a credential from text produced elsewhere (errors, command output, input). */
export function scrubCredentials(s: string): string {
  let out = s;
  for (const [re, to] of CREDENTIAL_PATTERNS) out = out.replace(re, to);
  return out;
}

/** Removes a secret from a message that a driver or server produced, in case it echoed it. */
export function scrubSecret(message: string, secret: string): string {
  return secret.length >= 3 ? message.split(secret).join('***') : message;
}
