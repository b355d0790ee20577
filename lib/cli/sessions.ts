// `leakhound sessions`: who holds the database's connections, for how long, doing what.
// Text is for a person at 3 a.m.: the verdict on the first line, then compact evidence.
import { formatAge, takeSnapshot, verdictOf, type Snapshot, type SessionGroup, type SessionState, type Verdict } from '../sessions/index.ts';
import { DatabaseUrlError, parseDatabaseUrl } from '../sessions/index.ts';
import { oneOf, parseCliArgs, parseDuration } from './args.ts';
import { CliError } from './errors.ts';
import { terminalJson, terminalText } from './output.ts';

const HELP = `usage: leakhound sessions --database <url> [--format text|json] [--min-age 30s] [--timeout 5s]

Snapshot of every client session of a PostgreSQL or MySQL/MariaDB database: capacity, open
transactions, idle sessions of full pools, long queries, lock waits. Query text is shown only
as fingerprints (literals replaced by ?).

  --database <url>   postgres://, postgresql://, mysql:// or mariadb:// URL
                     (default: $LEAKHOUND_DATABASE_URL)
  --format text|json
  --min-age <dur>    idle transactions and idle sessions become suspects from this age (30s)
  --timeout <dur>    give up on the database after this long (5s)

exit status: 0 read, 2 usage error, 3 the database could not be read (the problem and its
remedy are printed)`;

const ENGINE_NAME: Record<Snapshot['engine'], string> = { postgres: 'PostgreSQL', mysql: 'MySQL', mariadb: 'MariaDB' };

const STATE_LABEL: Record<SessionState, string> = {
  active: 'active',
  idle: 'idle',
  idle_in_transaction: 'idle in tx',
  idle_in_transaction_aborted: 'aborted tx',
  fastpath: 'fastpath',
  disabled: 'disabled',
  other: 'other',
  hidden: 'hidden',
};

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

function ids(list: number[], max = 6): string {
  return list.length > max ? `${list.slice(0, max).join(', ')} … (+${list.length - max})` : list.join(', ');
}

function stateSummary(g: SessionGroup): string {
  return Object.entries(g.byState)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([state, n]) => `${STATE_LABEL[state as SessionState]} ${n}`)
    .join(', ');
}

export function renderSessionsText(snapshot: Snapshot, verdict: Verdict): string {
  const out: string[] = [verdict.headline];
  const cap = snapshot.capacity;
  out.push(`  ${snapshot.serverVersion ?? ENGINE_NAME[snapshot.engine]} at ${snapshot.target}, read in ${snapshot.durationMs} ms`);
  if (cap) {
    const reserved = [`${cap.reservedForSuperusers} for superusers`];
    if (cap.reservedForRoles) reserved.push(`${cap.reservedForRoles} for reserved-connection roles`);
    out.push(
      snapshot.engine === 'postgres'
        ? `  capacity: ${cap.inUse} in use of ${cap.availableToApplications} usable (${cap.maxConnections} max, ${reserved.join(', ')}), ${cap.free} free`
        : `  capacity: ${cap.inUse} in use of ${cap.maxConnections} (max_connections; +1 for CONNECTION_ADMIN), ${cap.free} free`,
    );
  }

  for (const p of snapshot.problems) {
    out.push('', `${p.fatal ? 'PROBLEM' : 'warning'} (${p.kind.replace(/_/g, ' ')}${p.code ? `, ${p.code}` : ''}): ${p.message}`, `  fix: ${p.remedy}`);
  }

  if (verdict.clusters.length > 0) {
    out.push('', `suspects (idle ≥ ${formatAge(snapshot.thresholds.minAgeMs)}, queries ≥ ${formatAge(snapshot.thresholds.longQueryMs)}, lock waits ≥ ${formatAge(snapshot.thresholds.lockWaitMs)}):`);
    for (const c of verdict.clusters.slice(0, 12)) {
      const kind = c.kind.replace(/_/g, ' ');
      out.push(`  ${String(c.count).padStart(4)}  ${kind.padEnd(18)} ${clip(c.app, 28).padEnd(28)} oldest ${formatAge(c.oldestMs).padEnd(6)}${c.aborted ? ` (${c.aborted} aborted)` : ''}`);
      if (c.fingerprint) out.push(`        ${clip(c.fingerprint, 140)}`);
      out.push(`        ${snapshot.engine === 'postgres' ? 'pids' : 'threads'}: ${ids(c.sessionIds)}`);
    }
    if (verdict.clusters.length > 12) out.push(`  … ${verdict.clusters.length - 12} more suspect groups (--format json for all)`);
  }

  const apps = snapshot.groups.byApplication;
  if (apps.length > 0) {
    out.push('', 'sessions by application:');
    for (const g of apps.slice(0, 10)) {
      const tx = g.oldestTransactionMs !== null ? `, oldest tx ${formatAge(g.oldestTransactionMs)}` : '';
      out.push(`  ${String(g.count).padStart(4)}  ${clip(g.key, 28).padEnd(28)} ${stateSummary(g)}${tx}`);
    }
    if (apps.length > 10) out.push(`  … ${apps.length - 10} more applications`);
  }
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}

export const sessionsCommand = {
  summary: 'snapshot of database sessions: who holds the connections, open transactions, locks',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseCliArgs(
      argv,
      {
        database: { type: 'string' },
        format: { type: 'string' },
        'min-age': { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      true,
    );
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}" (use --database <url>)`);
    const format = oneOf('format', values.format, ['text', 'json'] as const, 'text');
    const minAgeMs = values['min-age'] === undefined ? 30_000 : parseDuration('min-age', values['min-age']);
    const timeoutMs = values.timeout === undefined ? 5_000 : parseDuration('timeout', values.timeout);
    if (timeoutMs < 100 || timeoutMs > 120_000) throw new CliError('--timeout must be between 100ms and 2m');
    const url = values.database ?? process.env.LEAKHOUND_DATABASE_URL;
    if (!url) throw new CliError('no database: pass --database <url> or set LEAKHOUND_DATABASE_URL');
    try {
      parseDatabaseUrl(url);
    } catch (err) {
      if (err instanceof DatabaseUrlError) throw new CliError(`--database: ${err.message}`);
      throw err;
    }

    const snapshot = await takeSnapshot(url, { minAgeMs, timeoutMs: Math.round(timeoutMs) });
    const verdict = verdictOf(snapshot);
    if (format === 'json') {
      process.stdout.write(terminalJson({ verdict: { level: verdict.level, headline: verdict.headline }, snapshot }) + '\n');
    } else {
      process.stdout.write(terminalText(renderSessionsText(snapshot, verdict)));
    }
    return snapshot.problems.some((p) => p.fatal) ? 3 : 0;
  },
};
