// Pure trend math over a connections series: growth rate and time to max_connections.
import type { ConnectionTrend, MetricPoint } from './model.ts';

/** Least-squares slope in units per minute; null with fewer than two distinct timestamps. */
export function slopePerMinute(points: readonly MetricPoint[]): number | null {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of points) {
    const t = Date.parse(p.time);
    if (!Number.isFinite(t) || !Number.isFinite(p.value)) continue;
    xs.push(t / 60_000);
    ys.push(p.value);
  }
  if (xs.length < 2) return null;
  // Centre x first: minutes since 1970 are large, and squaring them loses precision.
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - meanX;
    sxx += dx * dx;
    sxy += dx * (ys[i]! - meanY);
  }
  if (sxx === 0) return null;
  return sxy / sxx;
}

/** Below this the line is flat for our purposes (one connection per ~70 days). */
const FLAT_SLOPE = 1e-5;

/**
 * Minutes until `max` at `slopePerMinute`, from `current`. 0 when already there; null when
 * flat, falling, or either input is unknown.
 */
export function minutesToExhaustion(current: number | null, slope: number | null, max: number | null): number | null {
  if (current === null || max === null || !Number.isFinite(current) || !Number.isFinite(max)) return null;
  if (current >= max) return 0;
  if (slope === null || !Number.isFinite(slope) || slope <= FLAT_SLOPE) return null;
  return (max - current) / slope;
}

export function connectionTrend(points: readonly MetricPoint[], maxConnections: number | null): ConnectionTrend {
  const slope = slopePerMinute(points);
  const last = latest(points);
  const current = last?.value ?? null;
  const minutes = minutesToExhaustion(current, slope, maxConnections);
  let exhaustionAt: string | null = null;
  if (minutes !== null && last) {
    const at = Date.parse(last.time) + minutes * 60_000;
    // A projection past the representable date range is as good as never.
    exhaustionAt = Number.isFinite(at) && Math.abs(at) < 8.64e15 ? new Date(at).toISOString() : null;
  }
  return {
    slopePerMinute: slope,
    current,
    maxConnections,
    utilisation: current !== null && maxConnections !== null && maxConnections > 0 ? current / maxConnections : null,
    minutesToMax: minutes,
    exhaustionAt,
  };
}

function latest(points: readonly MetricPoint[]): MetricPoint | null {
  let best: MetricPoint | null = null;
  let bestTime = -Infinity;
  for (const p of points) {
    const t = Date.parse(p.time);
    if (Number.isFinite(t) && Number.isFinite(p.value) && t >= bestTime) {
      best = p;
      bestTime = t;
    }
  }
  return best;
}
