// Presentation pieces of a Report shared by every renderer (terminal text, Slack blocks), so the
// two never drift apart. Plain strings: each renderer adds its own markup.
import { formatAge } from '../sessions/index.ts';
import type { PoolerEvidence } from '../pooler/index.ts';
import { applicationOf } from './attribution.ts';
import type { PoolSummary } from '../poolmetrics/index.ts';
import type { EvidenceRead, Report, SessionSummary } from './report.ts';

/** The per-replica table, title row first. */
export function replicaTableRows(report: Report, opts: { address?: boolean } = {}): string[][] {
  // The pool columns (the replica's own DBStats) only when some replica served them.
  const pool = report.replicas.some((x) => x.pool);
  const title = ['replica', ...(opts.address ? ['address'] : []), 'goroutines', 'tx', 'rows', 'waiting', 'sessions', 'idle-tx', 'oldest', ...(pool ? POOL_TITLES : []), 'status'];
  return [
    title,
    ...report.replicas.map((x) => [
      x.replica,
      ...(opts.address ? [x.address ?? '-'] : []),
      x.goroutines === null ? '-' : String(x.goroutines),
      String(x.leakedTransactions),
      String(x.leakedRows),
      String(x.poolWaiters),
      String(x.sessions),
      String(x.idleInTransaction),
      x.oldestTransactionMs === null ? '-' : formatAge(x.oldestTransactionMs),
      ...(pool ? poolCells(x.pool ?? null) : []),
      x.status,
    ]),
  ];
}

const POOL_TITLES = ['in-use', 'idle', 'max', 'waits'];

/** in-use, idle, max, waits ("12 +3" when 3 began between the two scrapes; "!" marks a full pool). */
function poolCells(p: PoolSummary | null): string[] {
  if (!p) return ['-', '-', '-', '-'];
  const n = (v: number | null) => (v === null ? '-' : String(v));
  const waits = p.waits === null ? '-' : `${p.waits}${p.waitsGrew ? ` +${p.waitsGrew}` : ''}`;
  return [`${n(p.inUse)}${p.full ? '!' : ''}`, n(p.idle), n(p.max), waits];
}

/** Rows as aligned lines: every column but the last padded to its widest cell. */
export function alignColumns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** "6 of the service (40 on the database), 3 idle in transaction, oldest transaction 12m". */
export function sessionsSentence(s: SessionSummary): string {
  const aborted = s.idleInTransactionAborted ? `, ${s.idleInTransactionAborted} aborted` : '';
  const oldest = s.oldestTransactionMs !== null ? `, oldest transaction ${formatAge(s.oldestTransactionMs)}` : '';
  const byAddress = s.attribution.filter((a) => a.by === 'client_address').length;
  const tied = s.ofService === 0 ? '' : byAddress === 0 ? '; all tied by application_name' : `; ${s.ofService - byAddress} tied by application_name, ${byAddress} by client address only`;
  const others = s.otherApplications.length
    ? `; others: ${s.otherApplications.map((o) => `${o.application} ${o.sessions}${o.idleInTransaction ? ` (${o.idleInTransaction} idle in transaction)` : ''}`).join(', ')}`
    : '';
  return `${s.ofService} of the service (${s.total} on the database${tied}), ${s.idleInTransaction} idle in transaction${aborted}${oldest}${others}`;
}

/** "the database and all 3 replicas' dumps" — what a verdict rests on, for a person. */
export function restsOnSentence(read: EvidenceRead): string {
  const dumps = read.dumpsTotal === 0 ? 'no dumps' : `dumps of ${read.dumpsRead} of ${read.dumpsTotal} replica${read.dumpsTotal === 1 ? '' : 's'}`;
  const parts = [read.sessions ? 'database sessions' : 'no database sessions', dumps];
  return `${parts.join(', ')}${read.unread.length ? `; could not read ${read.unread.join('; ')}` : ''}`;
}

/** The pooler section as plain lines: PgBouncer's pools, the service's links, its victims; RDS Proxy. */
export function poolerLines(p: PoolerEvidence): string[] {
  const out: string[] = [];
  const b = p.pgbouncer;
  if (b) {
    out.push(`PgBouncer ${b.target}${b.version ? ` (${b.version})` : ''}: ${b.servers} of the database's sessions are its server connections, ${b.linked} serving a client now`);
    for (const pool of b.pools) {
      out.push(
        `pool ${pool.database}/${pool.user} (${pool.mode ?? '?'}): ${pool.clientsActive} clients active, ${pool.clientsWaiting} waiting${pool.clientsWaiting ? ` (oldest ${pool.maxWaitSeconds.toFixed(1)} s)` : ''}; servers ${pool.serversActive} active, ${pool.serversIdle} idle`,
      );
    }
    for (const l of b.links) {
      out.push(`backend ${l.pid} <- ${l.client ?? 'no client (idle in the pool)'}${l.application ? ` ${applicationOf({ application: l.application })}` : ''}${l.replica ? ` [replica ${l.replica}]` : ''}`);
    }
    for (const w of b.waiting) out.push(`waiting: ${w.clients} client${w.clients === 1 ? '' : 's'} from ${w.address}${w.replica ? ` [replica ${w.replica}]` : ''}`);
  }
  if (p.rdsProxy) out.push(p.rdsProxy.sentence);
  return out;
}
