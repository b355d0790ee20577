// What remediation needs from triage: the evidence a restart would destroy, and the readings a
// verification compares.
import type { CatalogDefaults, Service } from '../catalog/index.ts';
import type { DumpCollection } from '../dumps/index.ts';
import type { EvidenceItem } from '../remediation/index.ts';
import type { Snapshot } from '../sessions/index.ts';
import { buildReport } from './build.ts';
import { gather, type GatherDeps } from './gather.ts';
import { readingOf } from './reading.ts';
import type { Reading, Report } from './report.ts';

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
  // debug=2 is worth its pause here: the process is about to be restarted anyway, and wait ages
  // are evidence. It is taken in addition to the service's usual level.
  const gathered = await gather({ service, limits: defaults.dumps, region: defaults.region, deadline: startedAt + deadlineMs, debug: 2, minAgeMs: 0 }, deps);
  const report = buildReport({ service, alert: null, ...gathered, startedAt, finishedAt: Date.now(), deadlineMs });
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  const items: EvidenceItem[] = [{ name: 'report.json', body: json(report), contentType: 'application/json' }];
  if (gathered.snapshot) items.push({ name: 'sessions.json', body: json(gathered.snapshot), contentType: 'application/json' });
  if (gathered.dumps) {
    const dumps = gathered.dumps.replicas.map((r) => ({ replica: r.replica, address: r.address, capturedAt: r.capturedAt, gap: r.gap, dump: r.dump }));
    items.push({ name: 'dumps.json', body: json(dumps), contentType: 'application/json' });
  }
  if (options.derived) items.push(...(await options.derived({ report, snapshot: gathered.snapshot, dumps: gathered.dumps }).catch(() => [])));
  return items;
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
