// Recent DatabaseConnections and ELB 504 series in one GetMetricData call. Never throws:
// whatever cannot be read becomes a gap next to whatever could.
import type { GetMetricDataCommandInput, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { withDeadline } from '../errors/index.ts';
import { DEFAULT_TIMEOUT_MS, gapFromError, type CloudWatchLike } from './client.ts';
import type { MetricPoint, MetricSeries, MetricsGap, RdsTarget, SeriesId, ServiceMetrics } from './model.ts';
import { connectionTrend } from './trend.ts';

export interface SeriesOptions {
  /** The RDS instance or Aurora cluster behind the service. */
  database?: RdsTarget | null;
  /** CloudWatch `LoadBalancer` dimension value, `app/<name>/<id>`. */
  loadBalancer?: string | null;
  lookbackMinutes?: number;
  periodSeconds?: number;
  /** End of the window; tests pin it. */
  now?: Date;
}

export interface FetchMetricsOptions extends SeriesOptions {
  /** Capacity for the time-to-exhaustion projection (from the database, or the catalog). */
  maxConnections?: number | null;
  /** One deadline for the whole fetch, pages included. */
  timeoutMs?: number;
}

export const DEFAULT_LOOKBACK_MINUTES = 60;
export const DEFAULT_PERIOD_SECONDS = 60;
const MAX_PAGES = 5;

type SeriesSpec = Omit<MetricSeries, 'points'>;

/** The metrics to read for these options, keyed by query id. */
export function seriesSpecs(options: SeriesOptions): SeriesSpec[] {
  const periodSeconds = options.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
  const specs: SeriesSpec[] = [];
  const db = options.database;
  const dimensions: Record<string, string> | null = db?.instance
    ? { DBInstanceIdentifier: db.instance }
    : db?.cluster
      ? { DBClusterIdentifier: db.cluster }
      : null;
  if (dimensions) {
    // Maximum, not Average: a pool hitting the ceiling for ten seconds is the story.
    specs.push({ id: 'connections', namespace: 'AWS/RDS', metric: 'DatabaseConnections', stat: 'Maximum', dimensions, periodSeconds });
  }
  if (options.loadBalancer) {
    specs.push({
      id: 'elb504',
      namespace: 'AWS/ApplicationELB',
      metric: 'HTTPCode_ELB_504_Count',
      stat: 'Sum',
      dimensions: { LoadBalancer: options.loadBalancer },
      periodSeconds,
    });
  }
  return specs;
}

export function buildMetricDataRequest(options: SeriesOptions): GetMetricDataCommandInput {
  const end = options.now ?? new Date();
  const lookback = options.lookbackMinutes ?? DEFAULT_LOOKBACK_MINUTES;
  const queries: MetricDataQuery[] = seriesSpecs(options).map((spec) => ({
    Id: spec.id,
    MetricStat: {
      Metric: {
        Namespace: spec.namespace,
        MetricName: spec.metric,
        Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: spec.periodSeconds,
      Stat: spec.stat,
    },
    ReturnData: true,
  }));
  return {
    MetricDataQueries: queries,
    StartTime: new Date(end.getTime() - lookback * 60_000),
    EndTime: end,
    ScanBy: 'TimestampAscending',
  };
}

export async function fetchServiceMetrics(client: CloudWatchLike, options: FetchMetricsOptions): Promise<ServiceMetrics> {
  const maxConnections = options.maxConnections ?? null;
  const gaps: MetricsGap[] = [];
  if (!options.database?.instance && !options.database?.cluster) gaps.push({ what: 'connections', reason: 'not-configured', detail: 'no RDS instance or cluster for this service' });
  if (!options.loadBalancer) gaps.push({ what: 'elb504', reason: 'not-configured', detail: 'no load balancer for this service' });
  const specs = seriesSpecs(options);
  const empty = (): ServiceMetrics => ({ connections: null, elb504: null, trend: connectionTrend([], maxConnections), gaps });
  if (specs.length === 0) return empty();

  // The SDK's CloudWatch module loads with the first metrics call, not with the function.
  const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const request = buildMetricDataRequest(options);
  const collected = new Map<string, { times: Date[]; values: number[]; status: Set<string>; messages: string[] }>();
  try {
    await withDeadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, async (abortSignal) => {
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const output = await client.send(new GetMetricDataCommand({ ...request, NextToken: nextToken }), { abortSignal });
        for (const result of output.MetricDataResults ?? []) {
          if (!result.Id) continue;
          const entry = collected.get(result.Id) ?? { times: [], values: [], status: new Set<string>(), messages: [] };
          entry.times.push(...(result.Timestamps ?? []));
          entry.values.push(...(result.Values ?? []));
          if (result.StatusCode) entry.status.add(result.StatusCode);
          for (const m of result.Messages ?? []) if (m.Value) entry.messages.push(m.Value);
          collected.set(result.Id, entry);
        }
        nextToken = output.NextToken;
        if (!nextToken) break;
      }
    });
  } catch (err) {
    for (const spec of specs) gaps.push(gapFromError(spec.id, err));
    return empty();
  }

  const series: Partial<Record<SeriesId, MetricSeries>> = {};
  for (const spec of specs) {
    const entry = collected.get(spec.id);
    const points = entry ? toPoints(entry.times, entry.values) : [];
    series[spec.id] = { ...spec, points };
    const where = Object.entries(spec.dimensions).map(([k, v]) => `${k}=${v}`).join(',');
    const detail = entry?.messages.length ? `; ${entry.messages.join('; ')}` : '';
    if (entry?.status.has('Forbidden')) {
      gaps.push({ what: spec.id, reason: 'access-denied', detail: `${spec.namespace} ${spec.metric} (${where}): Forbidden${detail}` });
    } else if (entry?.status.has('InternalError')) {
      gaps.push({ what: spec.id, reason: 'error', detail: `${spec.namespace} ${spec.metric} (${where}): InternalError${detail}` });
    } else if (points.length === 0) {
      // 504s are often simply absent (no errors, no datapoints); only the connections series
      // being empty means something is misconfigured.
      if (spec.id === 'connections') {
        gaps.push({ what: spec.id, reason: 'no-data', detail: `${spec.namespace} ${spec.metric} (${where}): no datapoints in the window` });
      }
    } else if (entry?.status.has('PartialData')) {
      gaps.push({ what: spec.id, reason: 'partial-data', detail: `${spec.namespace} ${spec.metric} (${where}): more pages than read` });
    }
  }
  return {
    connections: series.connections ?? null,
    elb504: series.elb504 ?? null,
    trend: connectionTrend(series.connections?.points ?? [], maxConnections),
    gaps,
  };
}

/** Pair timestamps with values, drop junk, sort oldest first, one point per timestamp. */
function toPoints(times: readonly Date[], values: readonly number[]): MetricPoint[] {
  const byTime = new Map<number, number>();
  const n = Math.min(times.length, values.length);
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    const v = values[i]!;
    const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
    if (Number.isFinite(ms) && Number.isFinite(v)) byTime.set(ms, v);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([ms, value]) => ({ time: new Date(ms).toISOString(), value }));
}
