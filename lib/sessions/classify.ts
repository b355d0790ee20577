// Which sessions look like the leak, and why. Pure: sessions + capacity in, suspects out.
import { formatAge } from './age.ts';
import { isNearFull } from './capacity.ts';
import type { Capacity, Session, Suspect, SuspectKind, Thresholds } from './model.ts';

export interface ClassifyOptions {
  /**
   * Known pool sizes per application (database/sql SetMaxOpenConns, pgxpool max_conns), e.g.
   * from the catalog. An application holding that many connections has a full pool.
   */
  poolSizes?: Record<string, number>;
}

/** The application a session belongs to: application_name, else `user@address`. */
export function appOf(s: Session): string {
  if (s.application) return s.application;
  if (s.user) return `${s.user}@${s.clientAddress ?? '?'}`;
  return '(unknown)';
}

const KIND_ORDER: Record<SuspectKind, number> = {
  lock_blocker: 0,
  open_transaction: 1,
  idle_in_full_pool: 2,
  lock_waiter: 3,
  long_query: 4,
};

function isOpenTransaction(s: Session): boolean {
  return s.state === 'idle_in_transaction' || s.state === 'idle_in_transaction_aborted';
}

/** Time spent idle: what tells a leaked transaction from one that is busy between statements. */
function idleMs(s: Session): number | null {
  return s.stateAgeMs ?? s.transactionAgeMs;
}

/**
 * Applications whose pool looks full: a known pool size reached, or — when the database itself
 * is (nearly) full — holding a real share of the slots in sessions idle past the threshold.
 */
function fullPools(sessions: Session[], capacity: Capacity | null, t: Thresholds, opts: ClassifyOptions): Map<string, { held: number; idleLong: number }> {
  const perApp = new Map<string, { held: number; idleLong: number }>();
  for (const s of sessions) {
    const app = appOf(s);
    const entry = perApp.get(app) ?? { held: 0, idleLong: 0 };
    entry.held++;
    if (s.state === 'idle' && (idleMs(s) ?? 0) >= t.minAgeMs) entry.idleLong++;
    perApp.set(app, entry);
  }
  const dbFull = capacity !== null && isNearFull(capacity);
  const share = capacity ? Math.max(2, Math.ceil(capacity.inUse * 0.1)) : Infinity;
  const full = new Map<string, { held: number; idleLong: number }>();
  for (const [app, e] of perApp) {
    const size = opts.poolSizes?.[app];
    if ((size !== undefined && e.held >= size) || (dbFull && e.idleLong >= share)) full.set(app, e);
  }
  return full;
}

export function classifySessions(sessions: Session[], capacity: Capacity | null, t: Thresholds, opts: ClassifyOptions = {}): Suspect[] {
  const suspects: Suspect[] = [];
  const byId = new Map(sessions.map((s) => [s.id, s]));
  const pools = fullPools(sessions, capacity, t, opts);
  const blocks = new Map<number, number[]>();

  for (const s of sessions) {
    if (!s.visible) continue;
    const app = appOf(s);
    const base = { sessionId: s.id, app, fingerprint: s.fingerprint };
    const idle = idleMs(s);

    if (isOpenTransaction(s) && idle !== null && idle >= t.minAgeMs) {
      const aborted = s.state === 'idle_in_transaction_aborted';
      const age = s.transactionAgeMs ?? idle;
      suspects.push({
        ...base,
        kind: 'open_transaction',
        ageMs: age,
        aborted,
        reason: aborted
          ? `${app} left a failed transaction open for ${formatAge(age)} (aborted, never rolled back; idle ${formatAge(idle)})`
          : `${app} left a transaction open for ${formatAge(age)} (idle ${formatAge(idle)})`,
      });
    }

    const pool = pools.get(app);
    if (pool && s.state === 'idle' && idle !== null && idle >= t.minAgeMs) {
      suspects.push({
        ...base,
        kind: 'idle_in_full_pool',
        ageMs: idle,
        reason: `idle ${formatAge(idle)} while ${app}'s pool is full (${pool.idleLong} of its ${pool.held} connections idle ≥ ${formatAge(t.minAgeMs)}): rows or connections never returned`,
      });
    }

    const running = s.queryAgeMs;
    if (s.blockedBy.length > 0) {
      if (running !== null && running >= t.lockWaitMs) {
        suspects.push({
          ...base,
          kind: 'lock_waiter',
          ageMs: running,
          blockedBy: [...s.blockedBy],
          reason: `waiting ${formatAge(running)} for a lock held by ${s.blockedBy.join(', ')}`,
        });
        for (const b of s.blockedBy) {
          const waiters = blocks.get(b);
          if (waiters) waiters.push(s.id);
          else blocks.set(b, [s.id]);
        }
      }
    } else if (s.state === 'active' && running !== null && running >= t.longQueryMs) {
      suspects.push({ ...base, kind: 'long_query', ageMs: running, reason: `${app} has a statement running for ${formatAge(running)}` });
    }
  }

  for (const [id, waiters] of blocks) {
    const s = byId.get(id);
    if (!s) continue;
    const age = s.transactionAgeMs ?? s.queryAgeMs ?? 0;
    const app = appOf(s);
    suspects.push({
      kind: 'lock_blocker',
      sessionId: id,
      app,
      ageMs: age,
      fingerprint: s.fingerprint,
      blocks: waiters,
      reason: `holds a lock ${waiters.length} session${waiters.length === 1 ? '' : 's'} wait for (${waiters.join(', ')}); ${app}, ${s.state.replace(/_/g, ' ')}, transaction ${formatAge(s.transactionAgeMs)}`,
    });
  }

  return suspects.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.ageMs - a.ageMs || a.sessionId - b.sessionId);
}
