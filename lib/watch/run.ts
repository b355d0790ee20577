// One run of the watch over the whole catalog: read every watched service cheaply, append the
// sample to its history, and speak only when it matters — a leak developing (one message in the
// service's channel, updated in place on later runs), a leak back after a restart (one note in
// the incident's thread, updated), or a developing leak that stopped growing (its message updated
// once). Flat services stay quiet.
import type { Catalog, WatchDefaults } from '../catalog/index.ts';
import type { SlackSink } from '../slack/index.ts';
import { WATCH_SAMPLE_KEEP, type WatchNotice, type WatchStore } from '../store/index.ts';
import type { GatherDeps } from '../triage/index.ts';
import { assessDeveloping, assessRegression, type Developing, type Regression } from './assess.ts';
import { renderDeveloping, renderNoLongerGrowing, renderRegression } from './message.ts';
import { readFleet, type ServiceReading } from './read.ts';

export const WATCH_DEFAULTS: WatchDefaults = { horizonHours: 6, windowHours: 2, minPoints: 6, regressionHours: 24, concurrency: 16, deadlineSeconds: 50 };

/** Notices outlive a quiet day, then a new leak gets a new message. */
const NOTICE_TTL_SECONDS = 24 * 3600;

export interface WatchDeps {
  catalog: Catalog;
  store: WatchStore;
  sink: SlackSink;
  gather: GatherDeps;
  /** The clock of samples and decisions (tests move it by hours between runs). */
  now?: () => number;
  log?: (line: string, fields?: Record<string, unknown>) => void;
}

export interface WatchRunOptions {
  /** Default: the catalog's `defaults.watch.deadlineSeconds` from now (real time). */
  deadline?: number;
  minAgeMs?: number;
}

export type ServiceOutcome =
  | { service: string; said: 'developing-posted' | 'developing-updated'; line: Developing }
  | { service: string; said: 'no-longer-growing'; line: Developing }
  | { service: string; said: 'regression-posted' | 'regression-updated'; regression: Regression }
  | { service: string; said: 'nothing'; reason: string };

export interface WatchRunResult {
  at: string;
  elapsedMs: number;
  services: number;
  databaseReads: number;
  outcomes: ServiceOutcome[];
  skipped: string[];
  /** Slack or store failures: the run goes on without them. */
  problems: string[];
}

export async function runWatch(deps: WatchDeps, options: WatchRunOptions = {}): Promise<WatchRunResult> {
  const started = Date.now();
  const now = deps.now ?? Date.now;
  const at = now();
  const settings = { ...WATCH_DEFAULTS, ...deps.catalog.defaults.watch };
  const deadline = options.deadline ?? started + settings.deadlineSeconds * 1000;
  // Reading takes most of the budget; deciding and posting need the rest.
  const readDeadline = started + Math.max(100, (deadline - started) * 0.8);
  const fleet = await readFleet(deps.catalog, deps.gather, { deadline: readDeadline, concurrency: settings.concurrency, minAgeMs: options.minAgeMs, at });

  const outcomes: ServiceOutcome[] = [];
  const problems: string[] = [];
  const atIso = new Date(at).toISOString();
  // The store and Slack calls are per service, a few at a time like the reads.
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < fleet.readings.length; i = next++) {
      const reading = fleet.readings[i]!;
      try {
        outcomes.push(await decide(deps, reading, settings, at, atIso));
      } catch (err) {
        problems.push(`${reading.service.name}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.concurrency, fleet.readings.length)) }, lane));
  return {
    at: atIso,
    elapsedMs: Date.now() - started,
    services: fleet.readings.length + fleet.skipped.length,
    databaseReads: fleet.databaseReads,
    outcomes: outcomes.sort((a, b) => a.service.localeCompare(b.service)),
    skipped: fleet.skipped,
    problems,
  };
}

async function decide(deps: WatchDeps, reading: ServiceReading, settings: WatchDefaults, at: number, atIso: string): Promise<ServiceOutcome> {
  const { service, report, sample } = reading;
  const windowMs = settings.windowHours * 3_600_000;
  const restart = await deps.store.getRestart(service.name);
  const sinceMs = Math.min(at - windowMs, restart ? Date.parse(restart.restartedAt) : Infinity);
  await deps.store.addSample(sample, { keep: WATCH_SAMPLE_KEEP, ttlSeconds: Math.ceil(Math.max(windowMs * 2, (settings.regressionHours * 3_600_000)) / 1000) });
  const history = await deps.store.listSamples(service.name, sinceMs, WATCH_SAMPLE_KEEP);

  // After a restart: is the leak back?
  if (restart) {
    const r = assessRegression(restart, history, { now: at });
    if (r?.regressed && restart.thread) {
      const message = renderRegression(service.name, r, report, atIso);
      const notice = await deps.store.getNotice(service.name, 'regression');
      if (notice && notice.incidentId === restart.incidentId) {
        await deps.sink.update(notice.channel, notice.ts, message);
        await deps.store.putNotice({ ...notice, updatedAt: atIso }, NOTICE_TTL_SECONDS);
        return { service: service.name, said: 'regression-updated', regression: r };
      }
      const posted = await deps.sink.post({ channel: restart.thread.channel, threadTs: restart.thread.ts }, message);
      await deps.store.putNotice({ service: service.name, kind: 'regression', channel: posted.channel, ts: posted.ts, postedAt: atIso, updatedAt: atIso, incidentId: restart.incidentId }, NOTICE_TTL_SECONDS);
      return { service: service.name, said: 'regression-posted', regression: r };
    }
  }

  // Before the alarm: is a leak developing? The trend is over the window only.
  const windowed = history.filter((s) => Date.parse(s.at) >= at - windowMs);
  const d = assessDeveloping(windowed, { minPoints: settings.minPoints, horizonHours: service.watch?.horizonHours ?? settings.horizonHours });
  const notice: WatchNotice | null = await deps.store.getNotice(service.name, 'developing');
  if (d.developing) {
    const message = renderDeveloping(service.name, d, report, atIso);
    if (notice) {
      await deps.sink.update(notice.channel, notice.ts, message);
      await deps.store.putNotice({ ...notice, updatedAt: atIso }, NOTICE_TTL_SECONDS);
      return { service: service.name, said: 'developing-updated', line: d };
    }
    const posted = await deps.sink.post({ channel: service.slackChannel }, message);
    await deps.store.putNotice({ service: service.name, kind: 'developing', channel: posted.channel, ts: posted.ts, postedAt: atIso, updatedAt: atIso, incidentId: null }, NOTICE_TTL_SECONDS);
    return { service: service.name, said: 'developing-posted', line: d };
  }
  if (notice) {
    await deps.sink.update(notice.channel, notice.ts, renderNoLongerGrowing(service.name, d, atIso));
    await deps.store.clearNotice(service.name, 'developing');
    return { service: service.name, said: 'no-longer-growing', line: d };
  }
  return { service: service.name, said: 'nothing', reason: d.reason };
}
