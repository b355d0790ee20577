// RDS Proxy from CloudWatch: its client and database connections, how many of those are pinned
// to a session and how many sit inside a transaction, against its ceiling. Pinning (SET,
// temporary tables, prepared statements, advisory locks) is not a leak: it only stops the proxy
// from sharing a connection, which comes back when its client disconnects. Connections held in
// a transaction are what a leaked transaction looks like from here. Never throws.
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { withDeadline } from '../errors/index.ts';
import { gapFromError, type CloudWatchLike } from '../metrics/index.ts';
import type { RdsProxySection } from './model.ts';

export interface ProxyMetricsOptions {
  name: string;
  targetGroup: string;
  timeoutMs: number;
  now?: Date;
  lookbackMinutes?: number;
}

type Id = 'clients' | 'database' | 'pinned' | 'intx' | 'max';

// All in AWS/RDS per proxy; the ceiling is published per target group and role only.
const METRICS: Array<{ id: Id; metric: string; stat: string; perTargetGroup?: boolean }> = [
  { id: 'clients', metric: 'ClientConnections', stat: 'Sum' },
  { id: 'database', metric: 'DatabaseConnections', stat: 'Sum' },
  { id: 'pinned', metric: 'DatabaseConnectionsCurrentlySessionPinned', stat: 'Sum' },
  { id: 'intx', metric: 'DatabaseConnectionsCurrentlyInTransaction', stat: 'Sum' },
  { id: 'max', metric: 'MaxDatabaseConnectionsAllowed', stat: 'Maximum', perTargetGroup: true },
];

export function proxyMetricQueries(opts: Pick<ProxyMetricsOptions, 'name' | 'targetGroup'>): MetricDataQuery[] {
  return METRICS.map((m) => ({
    Id: m.id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/RDS',
        MetricName: m.metric,
        Dimensions: [
          { Name: 'ProxyName', Value: opts.name },
          ...(m.perTargetGroup ? [{ Name: 'TargetGroup', Value: opts.targetGroup }, { Name: 'TargetRole', Value: 'READ_WRITE' }] : []),
        ],
      },
      Period: 60,
      Stat: m.stat,
    },
    ReturnData: true,
  }));
}

/** The latest values and what they mean. `gaps` says what could not be read. */
export async function fetchProxyMetrics(client: CloudWatchLike, opts: ProxyMetricsOptions): Promise<{ section: RdsProxySection; gaps: string[] }> {
  const end = opts.now ?? new Date();
  const latest = new Map<Id, number>();
  const gaps: string[] = [];
  // The SDK's CloudWatch module loads with the first metrics call, not with the function.
  const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  try {
    const out = await withDeadline(opts.timeoutMs, (abortSignal) =>
      client.send(
        new GetMetricDataCommand({
          MetricDataQueries: proxyMetricQueries(opts),
          StartTime: new Date(end.getTime() - (opts.lookbackMinutes ?? 10) * 60_000),
          EndTime: end,
          ScanBy: 'TimestampDescending',
        }),
        { abortSignal },
      ),
    );
    for (const r of out.MetricDataResults ?? []) {
      const value = r.Values?.[0];
      if (r.Id && typeof value === 'number' && Number.isFinite(value)) latest.set(r.Id as Id, value);
      if (r.StatusCode === 'Forbidden') gaps.push(`RDS Proxy ${opts.name} ${r.Id}: Forbidden`);
    }
    if (latest.size === 0) gaps.push(`RDS Proxy ${opts.name}: no datapoints in the last ${opts.lookbackMinutes ?? 10} minutes (is the ProxyName right?)`);
  } catch (err) {
    const gap = gapFromError('connections', err);
    gaps.push(`RDS Proxy ${opts.name}: ${gap.reason}: ${gap.detail}`);
  }
  const v = (id: Id) => latest.get(id) ?? null;
  return { section: judgeProxy(opts.name, v('clients'), v('database'), v('pinned'), v('intx'), v('max')), gaps };
}

const share = (part: number, whole: number) => whole > 0 && part >= Math.max(1, whole / 2);

export function judgeProxy(name: string, clients: number | null, database: number | null, pinned: number | null, inTx: number | null, max: number | null): RdsProxySection {
  const base = { name, clientConnections: clients, databaseConnections: database, pinned, inTransaction: inTx, maxAllowed: max };
  if (database === null) return { ...base, verdict: 'unknown', sentence: `RDS Proxy ${name}: no DatabaseConnections reading` };
  const ceiling = max !== null ? ` of the ${max} it may open` : '';
  const atLimit = max !== null && database >= max * 0.9 ? ', at its ceiling' : '';
  if (inTx !== null && share(inTx, database)) {
    return {
      ...base,
      verdict: 'held-transactions',
      sentence: `RDS Proxy ${name}: ${inTx} of its ${database} database connections${ceiling} are inside a transaction${atLimit}: transactions held open keep connections from being shared, as a leaked transaction does`,
    };
  }
  if (pinned !== null && share(pinned, database)) {
    return {
      ...base,
      verdict: 'pinning',
      sentence: `RDS Proxy ${name}: ${pinned} of its ${database} database connections${ceiling} are pinned to client sessions (SET, temporary tables, prepared statements, advisory locks)${clients !== null ? ` for ${clients} clients` : ''}: pinning, not a leak; they come back when their clients disconnect (move session settings to the proxy's initialization query)`,
    };
  }
  return {
    ...base,
    verdict: 'normal',
    sentence: `RDS Proxy ${name}: ${database} database connections${ceiling}${clients !== null ? ` for ${clients} clients` : ''}, ${pinned ?? '?'} pinned, ${inTx ?? '?'} in a transaction`,
  };
}
