// One watch run's readings, at a bounded cost: each database is read once (one connection, the
// two statements of lib/sessions: settings + pg_stat_activity in one round trip), whatever the
// number of services on it; each replica is asked for a debug=1 dump only (kilobytes, no
// stop-the-world) and its pool metrics once. Services are read a few at a time, and what is not
// read by the deadline is reported as skipped: a partial run is still a run.
import { resolveDatabaseUrl, type Catalog, type DumpLimits, type Service } from '../catalog/index.ts';
import { collectDumps } from '../dumps/index.ts';
import { takeSnapshot, type Snapshot } from '../sessions/index.ts';
import { buildReport, type Report } from '../triage/index.ts';
import type { GatherDeps } from '../triage/index.ts';
import type { Gap } from '../triage/index.ts';
import type { WatchSample } from '../store/index.ts';
import { culpritKey } from './restart-mark.ts';

export interface ReadFleetOptions {
  /** Epoch ms by which the run must be done. */
  deadline: number;
  /** Services read at once. */
  concurrency: number;
  /** Sessions idle in a transaction at least this long count as leaked; default 30 s. */
  minAgeMs?: number;
  /** The sample's time (tests move it); default now. */
  at?: number;
}

export interface ServiceReading {
  service: Service;
  report: Report;
  sample: WatchSample;
}

export interface FleetReading {
  readings: ServiceReading[];
  /** Services not read before the deadline. */
  skipped: string[];
  /** Database reads made (one per distinct database at most). */
  databaseReads: number;
}

export const isWatched = (s: Service): boolean => s.watch?.enabled !== false;

/** Runs `work` over `items` with at most `limit` at once; items not started by `deadline` are returned. */
async function boundedEach<T>(items: readonly T[], limit: number, deadline: number, work: (item: T) => Promise<void>): Promise<T[]> {
  const notStarted: T[] = [];
  let next = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      if (Date.now() >= deadline) {
        notStarted.push(items[i]!);
        continue;
      }
      await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return notStarted;
}

export async function readFleet(catalog: Catalog, deps: GatherDeps, options: ReadFleetOptions): Promise<FleetReading> {
  const services = catalog.services.filter(isWatched);
  const minAgeMs = options.minAgeMs ?? 30_000;
  // A database shared by several services is read once, by whichever of them asks first.
  const snapshots = new Map<string, Promise<{ snapshot: Snapshot | null; gap: Gap | null }>>();
  let databaseReads = 0;
  const snapshotOf = (service: Service) => {
    let p = snapshots.get(service.database.id);
    if (!p) {
      databaseReads += 1;
      p = (async () => {
        const remaining = () => Math.max(100, options.deadline - Date.now());
        const url = await resolveDatabaseUrl(service, deps.env, { readSecret: deps.readSecret, timeoutMs: Math.min(3000, remaining()) });
        if (!url.ok) return { snapshot: null, gap: { source: 'catalog' as const, target: `database ${service.database.id}`, reason: url.error } };
        const timeoutMs = Math.min(10_000, remaining());
        const snapshot = deps.snapshot ? await deps.snapshot(url.url, timeoutMs) : await takeSnapshot(url.url, { timeoutMs, minAgeMs, applicationName: 'leakhound-watch' });
        return { snapshot, gap: null };
      })().catch((err: unknown) => ({ snapshot: null, gap: { source: 'sessions' as const, target: `database ${service.database.id}`, reason: `could not read sessions: ${(err as Error).message}` } }));
      snapshots.set(service.database.id, p);
    }
    return p;
  };

  // One scrape of each pool (no second look a second later): the trend is the watch's second look.
  const limits: DumpLimits = { ...catalog.defaults.dumps, metricsIntervalSeconds: 0 };
  const readings: ServiceReading[] = [];
  const skipped = await boundedEach(services, options.concurrency, options.deadline, async (service) => {
    const startedAt = Date.now();
    const [db, dumps] = await Promise.all([
      snapshotOf(service),
      service.dumps.sources.length === 0
        ? Promise.resolve(null)
        : collectDumps(service, limits, { debug: 1, deadline: options.deadline, clients: deps.dumpClients, fetch: deps.fetch, region: catalog.defaults.region }).catch(() => null),
    ]);
    const gaps: Gap[] = db.gap ? [db.gap] : [];
    const report = buildReport({
      service,
      alert: null,
      snapshot: db.snapshot,
      dumps,
      metrics: null,
      gaps,
      startedAt,
      finishedAt: Date.now(),
      deadlineMs: Math.max(0, options.deadline - startedAt),
    });
    readings.push({ service, report, sample: sampleOf(service, report, db.snapshot, options.at ?? Date.now()) });
  });
  return { readings, skipped: skipped.map((s) => s.name), databaseReads };
}

/** The few numbers a trend needs, from the Report of what was read. */
export function sampleOf(service: Service, report: Report, snapshot: Snapshot | null, at: number): WatchSample {
  const read = report.replicas.filter((r) => r.status === 'ok');
  const awaitDone = read.length ? read.reduce((n, r) => n + r.leakedTransactions + r.leakedRows, 0) : null;
  const pools = report.replicas.map((r) => r.pool).filter((p): p is NonNullable<typeof p> => p != null);
  const sum = (xs: Array<number | null>) => (xs.some((x) => x !== null) ? xs.reduce<number>((n, x) => n + (x ?? 0), 0) : null);
  const sessions = report.sessions;
  const ofService = sessions?.attribution ?? [];
  const idleInTransaction = sessions ? sessions.idleInTransaction + sessions.idleInTransactionAborted : null;
  return {
    service: service.name,
    at: new Date(at).toISOString(),
    leaked: Math.max(awaitDone ?? 0, idleInTransaction ?? 0),
    idleInTransaction,
    oldestTransactionMs: sessions?.oldestTransactionMs ?? null,
    idleHeld: sessions ? ofService.filter((a) => a.state === 'idle').length : null,
    awaitDone,
    poolInUse: sum(pools.map((p) => p.inUse)),
    poolMax: sum(pools.map((p) => p.max)),
    dbInUse: snapshot ? (report.capacity.inUse ?? snapshot.sessions.length) : null,
    dbAvailable: report.capacity.available,
    // The verdict's culprit, else the first finding that names code (a session-side finding may
    // lead while the dumps name the function).
    culprit: culpritKey(report.verdict.culprit) ?? report.findings.map((f) => culpritKey(f.culprit)).find((k) => k !== null) ?? null,
  };
}
