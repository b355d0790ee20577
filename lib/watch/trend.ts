// A robust trend over a short, noisy series: is it growing, how fast, and is the growth real?
// Two points never make a trend: a restart, a deploy or a burst of traffic moves one sample, so
// the slope is Theil–Sen's (the median of every pairwise slope: one outlier in three cannot move
// it) and the significance Mann–Kendall's (does the series rise more often than it falls, with
// ties accounted for), both over the whole window.
//
// Theil–Sen comes from ml-regression-theil-sen (mljs). Mann–Kendall is written here: no
// maintained npm package implements it (the JavaScript statistics libraries, jstat and
// simple-statistics, stop at Kendall's tau without the trend test's tie-corrected variance or
// its p-value), and it is twenty lines.
import { TheilSenRegression } from 'ml-regression-theil-sen';

export interface Point {
  /** Epoch ms. */
  at: number;
  value: number;
}

export interface MannKendall {
  n: number;
  /** Σ sign(xj − xi) over i < j: positive = rising. */
  s: number;
  /** Normal approximation with continuity correction and the tie correction of the variance. */
  z: number;
  /** One-sided p-value for "increasing". */
  pIncreasing: number;
}

export function mannKendall(values: readonly number[]): MannKendall {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) for (let j = i + 1; j < n; j++) s += Math.sign(values[j]! - values[i]!);
  const ties = new Map<number, number>();
  for (const v of values) ties.set(v, (ties.get(v) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) if (t > 1) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  const z = variance <= 0 ? 0 : s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0;
  return { n, s, z, pIncreasing: 1 - normalCdf(z) };
}

/** Φ(z) through erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): plenty for a 5 % test. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export interface Trend {
  points: number;
  /** Theil–Sen slope, units per hour. */
  perHour: number;
  /** The fitted line at the first and the last sample (what "38 → 112" reports: robust to a noisy end). */
  fittedFirst: number;
  fittedLast: number;
  /** Hours between the first and the last sample. */
  spanHours: number;
  mannKendall: MannKendall;
  /** Growing and significant at `alpha`. */
  growing: boolean;
}

export interface TrendOptions {
  /** One-sided significance level; default 0.05. */
  alpha?: number;
}

/** Null when fewer than two distinct instants: no slope at all. */
export function trendOf(points: readonly Point[], options: TrendOptions = {}): Trend | null {
  const sorted = [...points].sort((a, b) => a.at - b.at);
  if (sorted.length < 2 || sorted[0]!.at === sorted[sorted.length - 1]!.at) return null;
  const t0 = sorted[0]!.at;
  const x = sorted.map((p) => (p.at - t0) / 3_600_000);
  const y = sorted.map((p) => p.value);
  const fit = new TheilSenRegression(x, y);
  const mk = mannKendall(y);
  const alpha = options.alpha ?? 0.05;
  const spanHours = x[x.length - 1]!;
  return {
    points: sorted.length,
    perHour: fit.slope,
    fittedFirst: fit.intercept,
    fittedLast: fit.intercept + fit.slope * spanHours,
    spanHours,
    mannKendall: mk,
    growing: fit.slope > 0 && mk.s > 0 && mk.pIncreasing < alpha,
  };
}
