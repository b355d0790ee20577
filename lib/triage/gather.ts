// Gathers the three kinds of evidence in parallel under one deadline: database sessions,
// goroutine dumps of every replica, CloudWatch metrics. Each part that misses the deadline or
// fails becomes a gap; what arrived in time is kept.
import type { CloudWatchLike, ServiceMetrics } from '../metrics/index.ts';
import { fetchServiceMetrics } from '../metrics/index.ts';
import type { DumpLimits, Env, SecretReader, Service } from '../catalog/index.ts';
import { resolveDatabaseUrl } from '../catalog/index.ts';
import { collectDumps, type DumpClients } from '../dumps/index.ts';
import type { DumpCollection } from '../dumps/index.ts';
import { readPoolers, type PoolerReadings } from '../pooler/index.ts';
import { takeSnapshot, type Snapshot } from '../sessions/index.ts';
import type { Gap } from './report.ts';
import { byDeadline, remainingMs } from '../errors/index.ts';

export type Stage = 'sessions' | 'dumps' | 'metrics' | 'pooler';

export interface Progress {
  stage: Stage;
  /** e.g. "reading sessions", "fetching dumps 7/12". */
  text: string;
  done: boolean;
}

export interface GatherDeps {
  env: Env;
  readSecret?: SecretReader;
  cloudwatch?: CloudWatchLike | null;
  dumpClients?: DumpClients;
  fetch?: typeof fetch;
  /** Replace the session reader (tests, a pre-taken snapshot). */
  snapshot?: (url: string, timeoutMs: number) => Promise<Snapshot>;
}

export interface GatherOptions {
  service: Service;
  limits: DumpLimits;
  /** Epoch ms by which everything must be back. */
  deadline: number;
  /** debug level for dumps; default the service's own. */
  debug?: 0 | 1 | 2;
  /** Sessions younger than this are not suspects. */
  minAgeMs?: number;
  /** Region of ECS and S3 dump sources that name none (the catalog's `defaults.region`). */
  region?: string | null;
  onProgress?: (p: Progress) => void;
}

export interface Gathered {
  snapshot: Snapshot | null;
  dumps: DumpCollection | null;
  metrics: ServiceMetrics | null;
  gaps: Gap[];
  /** PgBouncer / RDS Proxy, read at the same moment as the sessions; null when the catalog names none. */
  poolers?: PoolerReadings | null;
}


export async function gather(opts: GatherOptions, deps: GatherDeps): Promise<Gathered> {
  const gaps: Gap[] = [];
  const { service, deadline } = opts;
  const progress = (stage: Stage, text: string, done = false) => opts.onProgress?.({ stage, text, done });

  const sessions = (async (): Promise<Snapshot | null> => {
    progress('sessions', 'reading sessions');
    const url = await resolveDatabaseUrl(service, deps.env, { readSecret: deps.readSecret, timeoutMs: Math.min(3000, remainingMs(deadline)) });
    if (!url.ok) {
      gaps.push({ source: 'catalog', target: `database ${service.database.id}`, reason: url.error });
      return null;
    }
    // Leave the snapshot a little room inside the deadline so its own timeout answers first.
    const timeoutMs = Math.max(100, Math.min(120_000, remainingMs(deadline) - 150));
    const snap = deps.snapshot
      ? await deps.snapshot(url.url, timeoutMs)
      : await takeSnapshot(url.url, { timeoutMs, minAgeMs: opts.minAgeMs ?? 30_000 });
    progress('sessions', `read ${snap.sessions.length} sessions`, true);
    return snap;
  })().catch((err: unknown) => {
    gaps.push({ source: 'sessions', target: `database ${service.database.id}`, reason: `could not read sessions: ${(err as Error).message}` });
    return null;
  });

  const dumps = (async (): Promise<DumpCollection | null> => {
    if (service.dumps.sources.length === 0) {
      gaps.push({ source: 'dumps', target: service.name, reason: 'no dump sources in the catalog', remedy: 'add dumps.sources for this service' });
      return null;
    }
    progress('dumps', 'fetching dumps');
    const collection = await collectDumps(service, opts.limits, {
      debug: opts.debug,
      deadline,
      clients: deps.dumpClients,
      fetch: deps.fetch,
      region: opts.region ?? null,
      onProgress: (done, total) => progress('dumps', `fetching dumps ${done}/${total}`, done === total),
    });
    return collection;
  })().catch((err: unknown) => {
    gaps.push({ source: 'dumps', target: service.name, reason: `could not fetch dumps: ${(err as Error).message}` });
    return null;
  });

  const metrics = (async (): Promise<ServiceMetrics | null> => {
    const rds = service.database.rds;
    if (!rds && !service.loadBalancer) return null;
    if (!deps.cloudwatch) {
      gaps.push({ source: 'metrics', target: 'CloudWatch', reason: 'no CloudWatch access in this run (local)' });
      return null;
    }
    progress('metrics', 'reading metrics');
    const m = await fetchServiceMetrics(deps.cloudwatch, {
      database: rds,
      loadBalancer: service.loadBalancer,
      maxConnections: service.database.maxConnections,
      timeoutMs: Math.max(100, remainingMs(deadline) - 100),
    });
    for (const g of m.gaps) {
      if (g.reason !== 'not-configured') gaps.push({ source: 'metrics', target: g.what, reason: `${g.reason}: ${g.detail}` });
    }
    progress('metrics', 'read metrics', true);
    return m;
  })().catch((err: unknown) => {
    gaps.push({ source: 'metrics', target: 'CloudWatch', reason: `could not read metrics: ${(err as Error).message}` });
    return null;
  });

  // The pooler is read beside the sessions, so a backend and the client it serves are seen together.
  const poolers = (async (): Promise<PoolerReadings | null> => {
    if (!service.database.pgbouncer && !service.database.rdsProxy) return null;
    progress('pooler', 'reading the pooler');
    const read = await readPoolers(service, deps, deadline);
    for (const g of read.gaps) gaps.push({ source: 'pooler', ...g });
    progress('pooler', 'read the pooler', true);
    return read;
  })().catch((err: unknown) => {
    gaps.push({ source: 'pooler', target: 'pooler', reason: `could not read the pooler: ${(err as Error).message}` });
    return null;
  });

  const [s, d, m, p] = await Promise.all([
    byDeadline(sessions, deadline, null),
    byDeadline(dumps, deadline, null),
    byDeadline(metrics, deadline, null),
    byDeadline(poolers, deadline, null),
  ]);
  if (p.late) gaps.push({ source: 'deadline', target: 'pooler', reason: 'the pooler did not answer before the deadline' });
  if (s.late) gaps.push({ source: 'deadline', target: 'sessions', reason: 'no answer from the database before the deadline' });
  if (d.late) gaps.push({ source: 'deadline', target: 'dumps', reason: 'dumps did not arrive before the deadline' });
  if (m.late) gaps.push({ source: 'deadline', target: 'metrics', reason: 'CloudWatch did not answer before the deadline' });
  return { snapshot: s.value, dumps: d.value, metrics: m.value, gaps, poolers: p.value };
}
