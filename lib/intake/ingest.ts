// Alerts in, incidents and jobs out: the one path every alarm takes, whatever carried it (SNS,
// EventBridge, Alertmanager, Grafana). The store dedupes (one incident per service and signal),
// so a storm of a thousand notifications opens one incident and queues one triage; a firing
// that joins an open incident queues a new triage only once the cool-down has passed.
import type { Alert } from '../alerts/index.ts';
import { routeAlert, type Catalog } from '../catalog/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import { redact } from '../redact/index.ts';
import type { AlarmOutcome, Store } from '../store/index.ts';
import { wellFormed } from '../store/index.ts';
import type { Log } from '../lambda/index.ts';

export interface IngestDeps {
  catalog: Catalog;
  store: Pick<Store, 'recordAlarm' | 'claim' | 'release'>;
  queue: JobQueue;
  /** A joined incident is triaged again at most this often. */
  retriageSeconds: number;
  log: Log;
}

export interface RouteOutcome {
  alert: string;
  service: string;
  /** `suppressed`: CloudWatch suppressed the alarm's actions (e.g. a maintenance window); recorded here, not triaged. */
  outcome: AlarmOutcome | 'skipped' | 'suppressed';
  incidentId: string | null;
  /** `triage` queued a triage; `resolved` queued the job that marks the thread resolved. */
  job: 'triage' | 'resolved' | null;
}

/**
 * Unmapped alerts still get an incident (and a message in the default channel). The `/` cannot
 * appear in a catalog service name, so this never collides with a real service. The alert's name
 * is outside text like any other: redacted before it is stored, posted or logged, and cut to
 * what the store takes (the incident id bounds itself, see newIncidentId).
 */
export const UNMAPPED_PREFIX = 'unmapped/';
export const unmappedService = (alertName: string): string => wellFormed(`${UNMAPPED_PREFIX}${redact(alertName) || '(no name)'}`.slice(0, 200));
export const alertNameOfUnmapped = (service: string): string | null => (service.startsWith(UNMAPPED_PREFIX) ? service.slice(UNMAPPED_PREFIX.length) : null);

export const retriageKey = (incidentId: string): string => `retriage:${incidentId}`;

export async function ingestAlerts(alerts: readonly Alert[], deps: IngestDeps): Promise<RouteOutcome[]> {
  const out: RouteOutcome[] = [];
  for (const alert of alerts) {
    for (const route of routeAlert(deps.catalog, alert)) {
      out.push(await ingestRoute(route.alert, route.service?.name ?? unmappedService(alert.name), deps));
    }
  }
  return out;
}

async function ingestRoute(alert: Alert, service: string, deps: IngestDeps): Promise<RouteOutcome> {
  // INSUFFICIENT_DATA is neither a reason to triage nor proof of recovery.
  const base = { alert: alert.name, service };
  if (alert.state === 'insufficient-data') return { ...base, outcome: 'skipped', incidentId: null, job: null };
  if (alert.suppressed) {
    deps.log.info('alarm actions suppressed by CloudWatch: not triaged', { alert: alert.name, service, by: alert.suppressed.by, reason: alert.suppressed.reason });
    return { ...base, outcome: 'suppressed', incidentId: null, job: null };
  }
  return recordServiceAlarm({ alert: alert.name, service, signal: alert.signal, firing: alert.state === 'firing' }, deps);
}

/**
 * One service's alarm firing or back to OK, once routed: the incident opened, joined, reopened or
 * resolved, and the job that follows. (`leakhound dev`'s `alarm <service>` starts here too.)
 */
export async function recordServiceAlarm(a: { alert: string; service: string; signal: string; firing: boolean }, deps: IngestDeps): Promise<RouteOutcome> {
  const { service } = a;
  const base = { alert: a.alert, service };
  // The store's own clock, not the alert's: Alertmanager repeats a firing with its old startsAt.
  const recorded = await deps.store.recordAlarm({ service, kind: a.signal, state: a.firing ? 'alarm' : 'ok' });
  const incident = recorded.incident;
  const result: RouteOutcome = { ...base, outcome: recorded.outcome, incidentId: incident?.id ?? null, job: null };
  if (!incident || recorded.outcome === 'ignored') return result;

  const key = retriageKey(incident.id);
  const enqueue = async (trigger: 'alarm' | 'reopen') => {
    await deps.queue.enqueue({ type: 'triage', service, incidentId: incident.id, trigger, requestedBy: null });
  };
  switch (recorded.outcome) {
    case 'opened':
    case 'reopened': {
      // Starts the cool-down, so the storm that follows only counts.
      const claimed = await deps.store.claim(key, deps.retriageSeconds);
      await enqueueOrRelease(enqueue(recorded.outcome === 'opened' ? 'alarm' : 'reopen'), claimed ? key : null, deps);
      return { ...result, job: 'triage' };
    }
    case 'joined': {
      if (!(await deps.store.claim(key, deps.retriageSeconds))) return result;
      await enqueueOrRelease(enqueue('alarm'), key, deps);
      return { ...result, job: 'triage' };
    }
    case 'resolved':
      // The worker finds the incident resolved and turns its top message into "resolved".
      await enqueue('alarm');
      return { ...result, job: 'resolved' };
  }
}

/** A job that could not be queued must not hold the cool-down: the next firing tries again. */
async function enqueueOrRelease(sending: Promise<void>, key: string | null, deps: IngestDeps): Promise<void> {
  try {
    await sending;
  } catch (err) {
    if (key) await deps.store.release(key).catch(() => {});
    throw err;
  }
}

/** Counts for a log line or an HTTP answer. */
export function summarise(routes: readonly RouteOutcome[]): Record<string, number> {
  const counts: Record<string, number> = { routes: routes.length, jobs: 0 };
  for (const r of routes) {
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    if (r.job) counts['jobs']! += 1;
  }
  return counts;
}
