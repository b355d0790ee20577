// What remediation needs from triage: the evidence a restart would destroy, and the readings a
// verification compares.
import type { CatalogDefaults, Service } from '../catalog/index.ts';
import { collectDumps, type DumpCollection, type ReplicaDump } from '../dumps/index.ts';
import { carryLabels } from '../goroutines/index.ts';
import type { EvidenceItem } from '../remediation/index.ts';
import type { Snapshot } from '../sessions/index.ts';
import { buildReport } from './build.ts';
import { gather, type GatherDeps } from './gather.ts';
import { readingOf } from './reading.ts';
import type { Gap, Reading, Report } from './report.ts';

/** What the evidence was made of, for items derived from it (the evidence page). */
export interface EvidenceParts {
  report: Report;
  snapshot: Snapshot | null;
  dumps: DumpCollection | null;
}

export interface CollectEvidenceOptions {
  /** More items made from the same reading; a failure here loses only them. */
  derived?: (parts: EvidenceParts) => Promise<EvidenceItem[]>;
}

/**
 * Reads sessions, every replica's dumps and metrics now, and returns them with the Report built
 * from them: saved under the incident before a restart wipes the process state.
 */
export async function collectEvidence(service: Service, defaults: Pick<CatalogDefaults, 'dumps' | 'region'>, deps: GatherDeps, deadlineMs = 20_000, options: CollectEvidenceOptions = {}): Promise<EvidenceItem[]> {
  const startedAt = Date.now();
  const deadline = startedAt + deadlineMs;
  // debug=2 is worth its pause here: the process is about to be restarted anyway, and wait ages
  // are evidence. It is taken in addition to the service's usual level. debug=1 is read beside
  // it (it is small) for the pprof labels Go before 1.27 prints only there.
  const [gathered, debug1] = await Promise.all([
    gather({ service, limits: defaults.dumps, region: defaults.region, deadline, debug: 2, minAgeMs: 0 }, deps),
    labelDumps(service, defaults, deps, deadline),
  ]);
  const labelled = gathered.dumps && debug1 ? withLabels(gathered.dumps, debug1) : null;
  const dumps = labelled?.dumps ?? gathered.dumps;
  const gaps = [...gathered.gaps, ...(labelled?.gaps ?? [])];
  const report = buildReport({ service, alert: null, ...gathered, dumps, gaps, startedAt, finishedAt: Date.now(), deadlineMs });
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  const items: EvidenceItem[] = [{ name: 'report.json', body: json(report), contentType: 'application/json' }];
  if (gathered.snapshot) items.push({ name: 'sessions.json', body: json(gathered.snapshot), contentType: 'application/json' });
  if (dumps) {
    const byReplica = new Map(debug1?.replicas.map((r) => [r.replica, r]));
    const saved = dumps.replicas.map((r) => {
      const d1 = byReplica.get(r.replica);
      return {
        replica: r.replica,
        address: r.address,
        capturedAt: r.capturedAt,
        gap: r.gap,
        dump: r.dump,
        ...(d1 ? { debug1: { location: d1.location, capturedAt: d1.capturedAt, gap: d1.gap, dump: d1.dump } } : {}),
      };
    });
    items.push({ name: 'dumps.json', body: json(saved), contentType: 'application/json' });
  }
  if (options.derived) items.push(...(await options.derived({ report, snapshot: gathered.snapshot, dumps }).catch(() => [])));
  return items;
}

/** Every replica at debug=1, for its labels; null when no source serves live dumps (S3 uploads are what they are). */
async function labelDumps(service: Service, defaults: Pick<CatalogDefaults, 'dumps' | 'region'>, deps: GatherDeps, deadline: number): Promise<DumpCollection | null> {
  const sources = service.dumps.sources.filter((s) => s.type !== 's3');
  if (sources.length === 0) return null;
  // One pool scrape: the debug=2 read takes the pool's two readings; this one is only for labels.
  return collectDumps({ ...service, dumps: { ...service.dumps, sources } }, { ...defaults.dumps, metricsIntervalSeconds: 0 }, {
    debug: 1,
    deadline,
    clients: deps.dumpClients,
    fetch: deps.fetch,
    region: defaults.region ?? null,
  });
}

/**
 * The debug=2 dumps with each replica's debug=1 labels carried onto the same stacks. A replica
 * whose debug=1 read failed keeps its debug=2 dump alone, and the gap says what that costs.
 */
function withLabels(debug2: DumpCollection, debug1: DumpCollection): { dumps: DumpCollection; gaps: Gap[] } {
  const byReplica = new Map(debug1.replicas.map((r) => [r.replica, r]));
  const gaps: Gap[] = [];
  const replicas = debug2.replicas.map((r): ReplicaDump => {
    if (!r.dump || (r.dump.format !== 'debug2' && r.dump.format !== 'traceback')) return r;
    const d1 = byReplica.get(r.replica);
    if (!d1?.dump) {
      const why = d1?.gap?.reason ?? 'not found at debug=1';
      gaps.push({ source: 'dumps', target: d1?.gap?.target ?? r.replica, reason: `debug=1 (for pprof labels) could not be read: ${why}; its debug=2 stacks name no route` });
      return r;
    }
    return { ...r, dump: carryLabels(r.dump, d1.dump).dump };
  });
  return { dumps: { ...debug2, replicas }, gaps };
}

/** One verification reading: sessions (and 504s when CloudWatch is reachable) right now. */
export async function readVerification(service: Service, deps: GatherDeps, timeoutMs = 10_000): Promise<Reading> {
  // Dumps are not part of a reading: gather them not at all.
  const withoutDumps: Service = { ...service, dumps: { ...service.dumps, sources: [] } };
  const gathered = await gather({ service: withoutDumps, limits: { concurrency: 1, timeoutSeconds: 1, maxBytes: 1 }, deadline: Date.now() + timeoutMs }, deps);
  const reading = readingOf(gathered.snapshot, gathered.metrics, service.applicationNames);
  if (reading.connections === null && reading.elb504 === null) {
    throw new Error(gathered.gaps.map((g) => g.reason).join('; ') || 'nothing could be read');
  }
  return reading;
}
