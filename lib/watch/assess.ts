// Decisions over a service's history, pure: is a leak developing (a significant, sustained rise
// that reaches the database's limit within the horizon), and after a restart, is it back.
import type { RestartMark, WatchSample } from '../store/index.ts';
import { trendOf, type Trend } from './trend.ts';

export interface DevelopingOptions {
  minPoints: number;
  horizonHours: number;
  /** The fitted rise over the window must be at least this (0 → 1 is noise, not a leak). Default 2. */
  minRise?: number;
}

export type Limit = 'max_connections' | 'pool';

export interface Developing {
  developing: boolean;
  /** Why not, when not: `too few samples`, `not growing`, `no limit within the horizon`… */
  reason: string;
  trend: Trend | null;
  /** Robust (fitted) counts at the window's start and end. */
  from: number;
  to: number;
  /** Hours until the limit is reached at the current slope; null when unknown or not growing. */
  hoursToLimit: number | null;
  limit: Limit | null;
  latest: WatchSample | null;
}

export function assessDeveloping(samples: readonly WatchSample[], options: DevelopingOptions): Developing {
  const latest = samples.at(-1) ?? null;
  const none = (reason: string, trend: Trend | null = null): Developing => ({
    developing: false,
    reason,
    trend,
    from: trend ? Math.max(0, Math.round(trend.fittedFirst)) : (samples[0]?.leaked ?? 0),
    to: trend ? Math.max(0, Math.round(trend.fittedLast)) : (latest?.leaked ?? 0),
    hoursToLimit: null,
    limit: null,
    latest,
  });
  if (samples.length < options.minPoints) return none(`${samples.length} of ${options.minPoints} samples`);
  const trend = trendOf(samples.map((s) => ({ at: Date.parse(s.at), value: s.leaked })));
  if (!trend || !trend.growing) return none('not growing', trend);
  if (trend.fittedLast - trend.fittedFirst < (options.minRise ?? 2)) return none('growing too little to matter', trend);
  // Each leaked transaction holds a connection until the process exits: the database fills at
  // the leak's own rate. Without the database's numbers, the service's own pool is the limit.
  let hoursToLimit: number | null = null;
  let limit: Limit | null = null;
  if (latest && latest.dbAvailable !== null && latest.dbInUse !== null) {
    hoursToLimit = Math.max(0, latest.dbAvailable - latest.dbInUse) / trend.perHour;
    limit = 'max_connections';
  } else if (latest && latest.poolMax !== null && latest.poolInUse !== null && latest.poolMax > 0) {
    hoursToLimit = Math.max(0, latest.poolMax - latest.poolInUse) / trend.perHour;
    limit = 'pool';
  }
  const base = none('', trend);
  if (hoursToLimit === null) return { ...base, reason: 'growing, but no capacity is known to project against' };
  if (hoursToLimit > options.horizonHours) return { ...base, hoursToLimit, limit, reason: `limit beyond the ${options.horizonHours} h horizon` };
  return { ...base, developing: true, reason: 'growing', hoursToLimit, limit };
}

export interface RegressionOptions {
  /** Leaked count from which it is a regression; default 3. */
  minLeaked?: number;
  now: number;
}

export interface Regression {
  regressed: boolean;
  leaked: number;
  hoursSinceRestart: number;
  /** Leaked per hour since the restart (Theil–Sen over the samples since, or the mean rate). */
  perHour: number;
  /** true: same culprit function as the incident; false: another; null: one side unknown. */
  sameCulprit: boolean | null;
  culprit: string | null;
}

/** Samples after the restart (`samples` may hold older ones: they are ignored). */
export function assessRegression(mark: RestartMark, samples: readonly WatchSample[], options: RegressionOptions): Regression | null {
  const restartedAt = Date.parse(mark.restartedAt);
  if (options.now < restartedAt || options.now > Date.parse(mark.until)) return null;
  const after = samples.filter((s) => Date.parse(s.at) > restartedAt);
  const latest = after.at(-1);
  if (!latest) return null;
  const hours = (Date.parse(latest.at) - restartedAt) / 3_600_000;
  const trend = after.length >= 3 ? trendOf(after.map((s) => ({ at: Date.parse(s.at), value: s.leaked }))) : null;
  const perHour = trend ? trend.perHour : hours > 0 ? latest.leaked / hours : 0;
  const sameCulprit = mark.culprit === null || latest.culprit === null ? null : mark.culprit === latest.culprit;
  return {
    regressed: latest.leaked >= (options.minLeaked ?? 3) && sameCulprit !== false,
    leaked: latest.leaked,
    hoursSinceRestart: hours,
    perHour,
    sameCulprit,
    culprit: latest.culprit,
  };
}
