// What the poolers add to a Report: sessions seen through PgBouncer (the client and replica
// behind each backend), the clients PgBouncer keeps waiting, and RDS Proxy's reading with
// pinning told apart from held transactions. Pure.
import type { DumpCollection } from '../dumps/index.ts';
import { pgbouncerSection, seeThroughPgBouncer, type PoolerEvidence, type PoolerLink, type PoolerReadings } from '../pooler/index.ts';
import type { Snapshot } from '../sessions/index.ts';
import { applicationOf } from './attribution.ts';
import type { ReportFinding } from './report.ts';
import { traitsOf } from './kinds.ts';

/** Replica name by address: the first replica of the service at that address. */
export function replicaByAddress(dumps: DumpCollection | null): (address: string) => string | null {
  const map = new Map<string, string>();
  for (const r of dumps?.replicas ?? []) if (r.address && !map.has(r.address)) map.set(r.address, r.replica);
  return (address) => map.get(address) ?? null;
}

/** The snapshot as the service's clients made it: each pooled backend with its client's address and name. */
export function seeThrough(snapshot: Snapshot | null, poolers: PoolerReadings | null | undefined, replicaOf: (a: string) => string | null): { snapshot: Snapshot | null; links: Map<number, PoolerLink> } {
  if (!snapshot || !poolers?.pgbouncer) return { snapshot, links: new Map() };
  return seeThroughPgBouncer(snapshot, poolers.pgbouncer, replicaOf);
}


export function poolerEvidence(
  findings: ReportFinding[],
  poolers: PoolerReadings | null | undefined,
  links: Map<number, PoolerLink>,
  ours: ReadonlySet<number>,
  replicaOf: (a: string) => string | null,
): PoolerEvidence | null {
  if (!poolers) return null;
  const section = poolers.pgbouncer ? pgbouncerSection(poolers.pgbouncer, links, ours, replicaOf) : null;
  for (const f of findings) {
    const through = f.sessionIds.map((id) => links.get(id)).filter((l): l is PoolerLink => !!l && l.client !== null);
    if (through.length === 0) continue;
    const modes = [...new Set(through.map((l) => l.mode ?? 'unknown'))].join('/');
    const shown = through.slice(0, 3).map((l) => `backend ${l.pid} ← client ${l.client}${l.application ? ` (${applicationOf({ application: l.application })})` : ''}${l.replica ? ` of replica ${l.replica}` : ''}`);
    f.evidence.push({
      source: 'sessions',
      text: `${through.length === f.sessionIds.length ? (through.length === 1 ? 'it reaches' : `all ${through.length} reach`) : `${through.length} of ${f.sessionIds.length} reach`} the database through PgBouncer (${modes} pooling${modes.includes('transaction') ? ': an open transaction pins its server connection' : ''}): ${shown.join('; ')}${through.length > 3 ? `; +${through.length - 3} more` : ''}`,
    });
  }
  const lead = findings.find((f) => traitsOf(f.kind).actions.terminateSessions) ?? findings[0];
  if (lead && section) {
    for (const p of section.pools.filter((x) => x.clientsWaiting > 0)) {
      lead.evidence.push({
        source: 'sessions',
        text: `PgBouncer pool ${p.database}/${p.user} (${p.mode ?? '?'} pooling): ${p.clientsWaiting} client${p.clientsWaiting === 1 ? '' : 's'} waiting for a server connection (oldest ${p.maxWaitSeconds.toFixed(1)} s) while ${p.serversActive} are held: the pooler's victims`,
      });
    }
  }
  if (lead && poolers.rdsProxy && poolers.rdsProxy.verdict !== 'unknown') lead.evidence.push({ source: 'metrics', text: poolers.rdsProxy.sentence });
  return { pgbouncer: section, rdsProxy: poolers.rdsProxy };
}
