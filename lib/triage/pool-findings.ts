// The service's own pool, per replica, from its metrics page: a replica whose pool is full is
// named even when its dump could not be read, and waits that grew between the two scrapes mean
// callers are starving now. Pure.
import type { DumpCollection } from '../dumps/index.ts';
import { summarisePool, type PoolSummary } from '../poolmetrics/index.ts';
import type { Evidence, ReportFinding } from './report.ts';
import { traitsOf } from './kinds.ts';

export function poolSummaries(dumps: DumpCollection | null): Map<DumpCollection['replicas'][number], PoolSummary> {
  const out = new Map<DumpCollection['replicas'][number], PoolSummary>();
  for (const r of dumps?.replicas ?? []) {
    const s = r.pool ? summarisePool(r.pool) : null;
    if (s) out.set(r, s);
  }
  return out;
}

function describe(replica: string, s: PoolSummary, dumpGap: string | null): string {
  const use = `${s.inUse ?? '?'}/${s.max ?? '?'} in use, ${s.idle ?? '?'} idle`;
  const waits = s.starving ? `; ${s.waitsGrew} caller${s.waitsGrew === 1 ? '' : 's'} began waiting for a connection within ${s.intervalSeconds} s (${s.waits} waits so far)` : s.waits ? `; ${s.waits} waits so far` : '';
  return `replica ${replica}: its pool (${s.collector}) is ${s.full ? 'full' : 'starving'} (${use}${waits})${dumpGap ? `; its dump could not be read (${dumpGap})` : ''}`;
}

/**
 * Evidence on the dumps' own pool-exhausted finding when there is one; otherwise a finding of
 * its own, so a full pool is never left out of the Report.
 */
export function poolFindings(findings: ReportFinding[], summaries: Map<DumpCollection['replicas'][number], PoolSummary>): ReportFinding[] {
  const pressed = [...summaries.entries()].filter(([, s]) => s.full || s.starving);
  if (pressed.length === 0) return [];
  const lines: Evidence[] = pressed.map(([r, s]) => ({ source: 'metrics', text: describe(r.replica, s, r.dump ? null : (r.gap?.reason ?? 'not read')) }));
  const fromDumps = findings.find((f) => traitsOf(f.kind).poolWait);
  if (fromDumps) {
    fromDumps.evidence.push(...lines);
    return [];
  }
  const starving = pressed.filter(([, s]) => s.starving).length;
  return [
    {
      kind: 'pool-exhausted',
      count: pressed.length,
      confidence: starving > 0 ? 'medium' : 'low',
      culprit: null,
      summary: `connection pool ${pressed.every(([, s]) => s.full) ? 'full' : 'under pressure'} on ${pressed.length === 1 ? `replica ${pressed[0]![0].replica}` : `${pressed.length} replicas (${pressed.slice(0, 3).map(([r]) => r.replica).join(', ')}${pressed.length > 3 ? ', …' : ''})`} (from its own metrics${starving ? ', callers waiting now' : ''})`,
      evidence: lines,
      waitMinutes: null,
      fingerprints: [],
      sessionIds: [],
    },
  ];
}

/** Replicas whose metrics page answered but could not be read: named, like any unread source. */
export function poolGaps(dumps: DumpCollection | null): Array<{ source: 'dumps'; target: string; reason: string }> {
  return (dumps?.replicas ?? []).filter((r) => r.poolProblem).map((r) => ({ source: 'dumps' as const, target: `${r.replica} metrics`, reason: r.poolProblem! }));
}
