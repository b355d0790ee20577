// Presentation pieces of a Report shared by every renderer (terminal text, Slack blocks), so the
// two never drift apart. Plain strings: each renderer adds its own markup.
import { formatAge } from '../sessions/index.ts';
import type { EvidenceRead, Report, SessionSummary } from './report.ts';

/** The per-replica table, title row first. */
export function replicaTableRows(report: Report, opts: { address?: boolean } = {}): string[][] {
  const title = ['replica', ...(opts.address ? ['address'] : []), 'goroutines', 'tx', 'rows', 'waiting', 'sessions', 'idle-tx', 'oldest', 'status'];
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
      x.status,
    ]),
  ];
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
