// Sessions grouped by application, client address, state and fingerprint, biggest first:
// the compact evidence a person reads after the verdict.
import { appOf } from './classify.ts';
import type { GroupDimension, Session, SessionGroup, SessionGroups } from './model.ts';

const NONE = '(none)';

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function groupBy(sessions: Session[], dimension: GroupDimension, keyOf: (s: Session) => string | null): SessionGroup[] {
  const groups = new Map<string, SessionGroup>();
  for (const s of sessions) {
    const key = keyOf(s) || NONE;
    let g = groups.get(key);
    if (!g) {
      g = { dimension, key, count: 0, byState: {}, oldestTransactionMs: null, oldestStateMs: null, oldestConnectionMs: null };
      groups.set(key, g);
    }
    g.count++;
    g.byState[s.state] = (g.byState[s.state] ?? 0) + 1;
    g.oldestTransactionMs = maxOrNull(g.oldestTransactionMs, s.transactionAgeMs);
    g.oldestStateMs = maxOrNull(g.oldestStateMs, s.stateAgeMs);
    g.oldestConnectionMs = maxOrNull(g.oldestConnectionMs, s.connectionAgeMs);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function groupSessions(sessions: Session[]): SessionGroups {
  return {
    byApplication: groupBy(sessions, 'application', appOf),
    byClient: groupBy(sessions, 'client', (s) => s.clientAddress),
    byState: groupBy(sessions, 'state', (s) => s.state),
    byFingerprint: groupBy(sessions, 'fingerprint', (s) => s.fingerprint),
  };
}
