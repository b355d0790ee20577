// What the metrics module hands to triage: series, a trend, and named gaps instead of errors.

/** An RDS instance or Aurora cluster; the catalog's `database.rds` fits as is. Instance wins. */
export interface RdsTarget {
  instance?: string | null;
  cluster?: string | null;
}

export interface MetricPoint {
  /** ISO 8601, UTC. */
  time: string;
  value: number;
}

export type SeriesId = 'connections' | 'elb504';

export interface MetricSeries {
  id: SeriesId;
  namespace: string;
  metric: string;
  stat: string;
  dimensions: Record<string, string>;
  periodSeconds: number;
  /** Oldest first. */
  points: MetricPoint[];
}

export type MetricsGapReason =
  | 'not-configured'
  | 'timeout'
  | 'access-denied'
  | 'throttled'
  | 'no-data'
  | 'partial-data'
  | 'error';

/** Something that could not be read, and why. Triage copies these into the Report. */
export interface MetricsGap {
  what: SeriesId | 'graph';
  reason: MetricsGapReason;
  detail: string;
}

export interface ConnectionTrend {
  /** Least-squares growth in connections per minute; null with fewer than two points. */
  slopePerMinute: number | null;
  /** The most recent value. */
  current: number | null;
  maxConnections: number | null;
  /** current / maxConnections, 0..1+. */
  utilisation: number | null;
  /** Minutes until max_connections at the current rate; null when flat, falling or unknown. */
  minutesToMax: number | null;
  /** When that happens (ISO); null likewise. */
  exhaustionAt: string | null;
}

export interface ServiceMetrics {
  connections: MetricSeries | null;
  elb504: MetricSeries | null;
  trend: ConnectionTrend;
  gaps: MetricsGap[];
}

export type GraphResult = { ok: true; png: Buffer; widget: string } | { ok: false; gap: MetricsGap };
