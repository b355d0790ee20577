// Everything triage knows about a verdict kind, one row per kind: goroutine kinds carry theirs
// in their signature row (lib/goroutines/signatures.ts); the kinds only the database shows, and
// the verdicts that are no finding at all, have theirs here. The compiler checks that every
// kind has a row with every field, so a new kind cannot silently drop out of ranking or actions.
import { isFindingKind, signatureByKind, type FindingKind, type KindActions, type KindTraits } from '../goroutines/index.ts';
import type { VerdictKind } from './report.ts';

const act = (restart: boolean, terminateSessions: boolean, capIdleTransactions: boolean): KindActions => ({ restart, codeFix: false, terminateSessions, capIdleTransactions });
/** Verdicts that are never a finding: ranked before everything, calling for nothing of their own. */
const verdictOnly = (title: string): KindTraits => ({ title, rank: -1, poolWait: false, databaseLeak: false, actions: act(true, false, false) });

const DATABASE_SIDE = {
  'open-transactions': { title: 'Transactions left open', rank: 3, poolWait: false, databaseLeak: false, actions: act(true, true, true) },
  'idle-connections': { title: 'Connections held idle', rank: 4, poolWait: false, databaseLeak: false, actions: act(true, true, false) },
  'lock-contention': { title: 'Lock contention', rank: 9, poolWait: false, databaseLeak: false, actions: act(true, false, false) },
  'long-queries': { title: 'Long-running queries', rank: 10, poolWait: false, databaseLeak: false, actions: act(true, false, false) },
  'no-leak-found': verdictOnly('No leak found'),
  unknown: verdictOnly('Unknown'),
  'unmapped-alert': verdictOnly('Alert for no known service'),
  resolved: verdictOnly('Resolved'),
} satisfies Record<Exclude<VerdictKind, FindingKind>, KindTraits>;

export function traitsOf(kind: VerdictKind): KindTraits {
  return isFindingKind(kind) ? signatureByKind(kind) : DATABASE_SIDE[kind];
}
