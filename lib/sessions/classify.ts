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

/**
 * The sessions at the head of each lock queue. PostgreSQL reports a waiter as blocked by the
 * lock holder and by every waiter queued ahead of it, so only the sessions that wait for
 * nobody are the ones to look at; the rest of the queue is victims.
 */
function rootBlockers(id: number, byId: Map<number, Session>, memo: Map<number, number[]>, visiting: Set<number>): number[] {
  const known = memo.get(id);
  if (known) return known;
  const s = byId.get(id);
  if (!s || s.blockedBy.length === 0 || visiting.has(id)) return [id];
  visiting.add(id);
  const roots = new Set<number>();
  for (const b of s.blockedBy) for (const r of rootBlockers(b, byId, memo, visiting)) roots.add(r);
  visiting.delete(id);
  const list = [...roots];
  memo.set(id, list);
  return list;
}

function suspect(kind: SuspectKind, s: Session, app: string, ageMs: number, reason: string): Suspect {
  return { kind, sessionId: s.id, app, ageMs, reason, fingerprint: s.fingerprint };
}

export function classifySessions(sessions: Session[], capacity: Capacity | null, t: Thresholds, opts: ClassifyOptions = {}): Suspect[] {
  const suspects: Suspect[] = [];
  const byId = new Map<number, Session>();
  for (const s of sessions) byId.set(s.id, s);
  const pools = fullPools(sessions, capacity, t, opts);
  const blocks = new Map<number, number[]>();
  const memo = new Map<number, number[]>();
  const visiting = new Set<number>();

  for (const s of sessions) {
    if (!s.visible) continue;
    const app = appOf(s);
    const idle = idleMs(s);

    if (isOpenTransaction(s) && idle !== null && idle >= t.minAgeMs) {
      const aborted = s.state === 'idle_in_transaction_aborted';
      const age = s.transactionAgeMs ?? idle;
      const x = suspect(
        'open_transaction',
        s,
        app,
        age,
        aborted
          ? `${app} left a failed transaction open for ${formatAge(age)} (aborted, never rolled back; idle ${formatAge(idle)})`
          : `${app} left a transaction open for ${formatAge(age)} (idle ${formatAge(idle)})`,
      );
      x.aborted = aborted;
      suspects.push(x);
    }

    const pool = pools.get(app);
    if (pool && s.state === 'idle' && idle !== null && idle >= t.minAgeMs) {
      suspects.push(
        suspect(
          'idle_in_full_pool',
          s,
          app,
          idle,
          `idle ${formatAge(idle)} while ${app}'s pool is full (${pool.idleLong} of its ${pool.held} connections idle ≥ ${formatAge(t.minAgeMs)}): rows or connections never returned`,
        ),
      );
    }

    const running = s.queryAgeMs;
    if (s.blockedBy.length > 0) {
      if (running !== null && running >= t.lockWaitMs) {
        const roots = rootBlockers(s.id, byId, memo, visiting);
        const queued = s.blockedBy.length > roots.length ? ` (queued behind ${s.blockedBy.length} sessions)` : '';
        const x = suspect('lock_waiter', s, app, running, `waiting ${formatAge(running)} for a lock held by ${roots.join(', ')}${queued}`);
        x.blockedBy = s.blockedBy.slice();
        suspects.push(x);
        for (const r of roots) {
          const waiters = blocks.get(r);
          if (waiters) waiters.push(s.id);
          else blocks.set(r, [s.id]);
        }
      }
    } else if (s.state === 'active' && running !== null && running >= t.longQueryMs) {
      suspects.push(suspect('long_query', s, app, running, `${app} has a statement running for ${formatAge(running)}`));
    }
  }

  for (const [id, waiters] of blocks) {
    const s = byId.get(id);
    if (!s) continue;
    const app = appOf(s);
    const shown = waiters.length > 10 ? `${waiters.slice(0, 10).join(', ')}, …` : waiters.join(', ');
    const x = suspect(
      'lock_blocker',
      s,
      app,
      s.transactionAgeMs ?? s.queryAgeMs ?? 0,
      `holds a lock ${waiters.length} session${waiters.length === 1 ? '' : 's'} wait for (${shown}); ${app}, ${s.state.replace(/_/g, ' ')}, transaction ${formatAge(s.transactionAgeMs)}`,
    );
    x.blocks = waiters;
    suspects.push(x);
  }

  return suspects.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.ageMs - a.ageMs || a.sessionId - b.sessionId);
}
