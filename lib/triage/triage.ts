// Triage entry points: one service, or whatever services an alert maps to.
import { randomUUID } from 'node:crypto';
import type { Alert } from '../alerts/index.ts';
import { routeAlert, type Catalog, type Service } from '../catalog/index.ts';
import { collectDumps } from '../dumps/index.ts';
import { diffDumps, mergeGroups, type Dump } from '../goroutines/index.ts';
import { buildReport } from './build.ts';
import { gather, type GatherDeps, type Gathered, type Progress } from './gather.ts';
import type { Growth, Report } from './report.ts';

export interface TriageOptions {
  catalog: Catalog;
  service: Service;
  alert?: Alert | null;
  /** Overall deadline; default the catalog's `deadlineSeconds`. */
  deadlineMs?: number;
  /** Dump level; default the service's (1). */
  debug?: 0 | 1 | 2;
  /** Take a second round of dumps this long after the first and report which stacks grew. */
  growthAfterMs?: number;
  minAgeMs?: number;
  onProgress?: (p: Progress) => void;
  /** Sees the raw evidence the Report was built from (the evidence page needs the stacks and sessions). */
  onGathered?: (g: Pick<Gathered, 'snapshot' | 'dumps'>, service: string) => void;
}

export async function triageService(opts: TriageOptions, deps: GatherDeps): Promise<Report> {
  const startedAt = Date.now();
  const deadlineMs = opts.deadlineMs ?? opts.catalog.defaults.deadlineSeconds * 1000;
  const deadline = startedAt + deadlineMs;
  // Gathering stops early enough to leave the Report time to be built by the deadline itself
  // (at 500 replicas and 5,000 sessions, building took up to ~0.65 s on a loaded machine).
  const gatherBy = deadline - Math.min(750, deadlineMs * 0.1);
  const gathered = await gather(
    { service: opts.service, limits: opts.catalog.defaults.dumps, region: opts.catalog.defaults.region, deadline: gatherBy, debug: opts.debug, minAgeMs: opts.minAgeMs, onProgress: opts.onProgress },
    deps,
  );
  opts.onGathered?.(gathered, opts.service.name);
  let growth: Growth | null = null;
  if (opts.growthAfterMs && gathered.dumps && Date.now() + opts.growthAfterMs < gatherBy) {
    growth = await measureGrowth(opts, deps, gathered.dumps.replicas.map((r) => r.dump), opts.growthAfterMs, gatherBy);
  }
  return buildReport({
    service: opts.service,
    alert: opts.alert ?? null,
    snapshot: gathered.snapshot,
    dumps: gathered.dumps,
    metrics: gathered.metrics,
    gaps: gathered.gaps,
    poolers: gathered.poolers,
    growth,
    startedAt,
    finishedAt: Date.now(),
    deadlineMs,
  });
}

async function measureGrowth(opts: TriageOptions, deps: GatherDeps, first: Array<Dump | null>, afterMs: number, deadline: number): Promise<Growth | null> {
  await new Promise((r) => setTimeout(r, afterMs));
  const second = await collectDumps(opts.service, opts.catalog.defaults.dumps, { debug: opts.debug, deadline, clients: deps.dumpClients, fetch: deps.fetch, region: opts.catalog.defaults.region });
  const merge = (dumps: Array<Dump | null>) => {
    const present = dumps.filter((d): d is Dump => d !== null);
    return { groups: mergeGroups(present.map((d) => d.groups)), goroutines: present.reduce((n, d) => n + d.goroutines, 0) };
  };
  const diff = diffDumps(merge(first), merge(second.replicas.map((r) => r.dump)));
  return {
    afterSeconds: Math.round(afterMs / 1000),
    goroutinesBefore: diff.goroutinesBefore,
    goroutinesAfter: diff.goroutinesAfter,
    grew: diff.grew.slice(0, 5).map((g) => ({ kind: g.kind, delta: g.delta, top: g.group.frames[0]?.function ?? '(runtime)' })),
  };
}

/** Triage every service an alert maps to; an alert that maps to none still gets a Report. */
export async function triageAlert(catalog: Catalog, alert: Alert, deps: GatherDeps, opts: Omit<TriageOptions, 'catalog' | 'service' | 'alert'> = {}): Promise<Report[]> {
  // Services behind one alarm (a shared database, one ALB) are triaged side by side.
  return Promise.all(
    routeAlert(catalog, alert).map((route) => {
      if (!route.service) return unmappedReport(route.alert, route.channel);
      if (route.alert.state === 'resolved') return resolvedReport(route.alert, route.service);
      return triageService({ ...opts, catalog, service: route.service, alert: route.alert }, deps);
    }),
  );
}

function emptyReport(alert: Alert, service: string | null, channel: string): Report {
  return {
    id: randomUUID(),
    service,
    createdAt: new Date().toISOString(),
    elapsedMs: 0,
    deadlineMs: 0,
    alert,
    verdict: { kind: 'unknown', headline: '', culprit: null, confidence: 'low', restsOn: null },
    capacity: { engine: null, maxConnections: null, available: null, inUse: null, free: null, full: false, growthPerMinute: null, minutesToExhaustion: null, elb504: null },
    findings: [],
    replicas: [],
    sessions: null,
    growth: null,
    gaps: [],
    actions: [],
    channel,
    reading: { connections: null, idleInTransaction: null, elb504: null },
  };
}

export function unmappedReport(alert: Alert, channel: string): Report {
  const r = emptyReport(alert, null, channel);
  const what = [alert.name, ...alert.resources.map((x) => `${x.type} ${x.id}`)].join(', ');
  r.verdict = { kind: 'unmapped-alert', headline: `Alert for no known service: ${what} (${alert.state})`, culprit: null, confidence: 'low', restsOn: null };
  r.gaps.push({
    source: 'catalog',
    target: alert.name,
    reason: 'no service in the catalog matches this alarm, so nothing was triaged',
    remedy: 'map it under a service: alarms.names, alarms.dimensions or alarms.labels',
  });
  return r;
}

function resolvedReport(alert: Alert, service: Service): Report {
  const r = emptyReport(alert, service.name, service.slackChannel);
  r.verdict = { kind: 'resolved', headline: `Resolved: ${alert.name} is back to normal`, culprit: null, confidence: 'high', restsOn: null };
  return r;
}
