// The one line a person reads first: how full the database is and who holds it, e.g.
// "FULL: 97/100 connections; 40 idle in transaction from app billing-api (oldest 12m)".
import { formatAge } from './age.ts';
import { isNearFull } from './capacity.ts';
import type { Snapshot, Suspect, SuspectKind } from './model.ts';

export type VerdictLevel = 'full' | 'near_full' | 'suspect' | 'ok' | 'unknown';

export interface SuspectCluster {
  kind: SuspectKind;
  app: string;
  count: number;
  oldestMs: number;
  /** How many of an open_transaction cluster are aborted transactions. */
  aborted: number;
  /** The most common fingerprint in the cluster. */
  fingerprint: string | null;
  sessionIds: number[];
}

export interface Verdict {
  level: VerdictLevel;
  headline: string;
  /** Suspects folded by kind and application, most telling first. */
  clusters: SuspectCluster[];
}

const PHRASE: Record<SuspectKind, [string, string]> = {
  open_transaction: ['idle in transaction', 'idle in transaction'],
  idle_in_full_pool: ['idle in a full pool', 'idle in a full pool'],
  long_query: ['long-running query', 'long-running queries'],
  lock_waiter: ['waiting on a lock', 'waiting on locks'],
  lock_blocker: ['blocking others', 'blocking others'],
};

// Leaks first: a blocker or a waiter is usually a symptom of the same open transaction.
const WEIGHT: Record<SuspectKind, number> = {
  open_transaction: 4,
  idle_in_full_pool: 3,
  lock_blocker: 2,
  long_query: 1,
  lock_waiter: 0,
};

export function clusterSuspects(suspects: Suspect[]): SuspectCluster[] {
  const clusters = new Map<string, SuspectCluster & { fps: Map<string, number> }>();
  for (const s of suspects) {
    const key = `${s.kind}\u0000${s.app}`;
    let c = clusters.get(key);
    if (!c) {
      c = { kind: s.kind, app: s.app, count: 0, oldestMs: 0, aborted: 0, fingerprint: null, sessionIds: [], fps: new Map() };
      clusters.set(key, c);
    }
    c.count++;
    c.oldestMs = Math.max(c.oldestMs, s.ageMs);
    if (s.aborted) c.aborted++;
    c.sessionIds.push(s.sessionId);
    if (s.fingerprint) c.fps.set(s.fingerprint, (c.fps.get(s.fingerprint) ?? 0) + 1);
  }
  return [...clusters.values()]
    .map(({ fps, ...c }) => {
      let best: string | null = null;
      let bestCount = 0;
      for (const [fp, n] of fps) if (n > bestCount) [best, bestCount] = [fp, n];
      return { ...c, fingerprint: best };
    })
    .sort((a, b) => b.count * 10 + WEIGHT[b.kind] - (a.count * 10 + WEIGHT[a.kind]) || b.oldestMs - a.oldestMs);
}

export function describeCluster(c: SuspectCluster): string {
  const [one, many] = PHRASE[c.kind];
  const aborted = c.aborted > 0 ? `, ${c.aborted} aborted` : '';
  return `${c.count} ${c.count === 1 ? one : many} from app ${c.app} (oldest ${formatAge(c.oldestMs)}${aborted})`;
}

export function verdictOf(snapshot: Snapshot): Verdict {
  const clusters = clusterSuspects(snapshot.suspects);
  const fatal = snapshot.problems.find((p) => p.fatal);
  const cap = snapshot.capacity;
  const usage = cap ? `${cap.inUse}/${cap.maxConnections} connections` : null;
  const top = clusters[0] ? describeCluster(clusters[0]) : null;
  const more = clusters.length > 1 ? `; +${clusters.length - 1} more suspect group${clusters.length > 2 ? 's' : ''}` : '';

  if (fatal) {
    if (fatal.kind === 'database_full') {
      return { level: 'full', headline: `FULL: the database refused Leakhound's connection (${fatal.code ?? 'too many connections'}); who holds the slots is unknown`, clusters };
    }
    const level = cap && cap.full ? 'full' : 'unknown';
    const prefix = level === 'full' ? `FULL: ${usage}` : 'UNKNOWN';
    const why = `${fatal.kind.replace(/_/g, ' ')}${fatal.code ? `, ${fatal.code}` : ''}`;
    return { level, headline: `${prefix}; could not read sessions (${why})`, clusters };
  }
  if (!cap) return { level: 'unknown', headline: 'UNKNOWN: no capacity figures', clusters };
  if (cap.full) return { level: 'full', headline: `FULL: ${usage}${top ? `; ${top}${more}` : '; no suspect session (thresholds too high?)'}`, clusters };
  if (isNearFull(cap)) return { level: 'near_full', headline: `NEAR FULL: ${usage}, ${cap.free} free${top ? `; ${top}${more}` : ''}`, clusters };
  if (top) return { level: 'suspect', headline: `SUSPECT: ${usage}, ${cap.free} free; ${top}${more}`, clusters };
  return { level: 'ok', headline: `OK: ${usage}, ${cap.free} free; no suspect session`, clusters };
}
