// CloudWatch has no local form: mocked with aws-sdk-client-mock at the client's `send`.
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricWidgetImageCommand,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildWidgetDefinition,
  fetchMetricsGraph,
  fetchServiceMetrics,
  type FetchMetricsOptions,
} from '../../lib/metrics/index.ts';
import { createCloudWatchClient } from '../../lib/metrics/create-client.ts';

const cw = mockClient(CloudWatchClient);
let client: CloudWatchClient;

const NOW = new Date('2024-03-14T10:45:00Z');
const LB = 'app/public-web/50dc6c495c0c9188';
const minute = (m: number) => new Date(NOW.getTime() - m * 60_000);

const options: FetchMetricsOptions = { database: { instance: 'orders-prod' }, loadBalancer: LB, now: NOW, maxConnections: 400 };

function awsError(name: string, message: string, status?: number): Error {
  return Object.assign(new Error(message), { name, $metadata: status ? { httpStatusCode: status } : {} });
}

beforeEach(() => {
  cw.reset();
  client = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterEach(() => {
  client.destroy();
});

describe('fetchServiceMetrics', () => {
  it('asks for both series in one GetMetricData request of the right shape', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await fetchServiceMetrics(client, { ...options, lookbackMinutes: 30, periodSeconds: 60 });
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      MetricDataQueries: [
        {
          Id: 'connections',
          MetricStat: {
            Metric: { Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-prod' }] },
            Period: 60,
            Stat: 'Maximum',
          },
          ReturnData: true,
        },
        {
          Id: 'elb504',
          MetricStat: {
            Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_ELB_504_Count', Dimensions: [{ Name: 'LoadBalancer', Value: LB }] },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date('2024-03-14T10:15:00Z'),
      EndTime: NOW,
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
    });
  });

  it('uses DBClusterIdentifier for an Aurora cluster and reads only what is configured', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const result = await fetchServiceMetrics(client, { database: { instance: null, cluster: 'ledger-aurora' }, now: NOW });
    const queries = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!;
    expect(queries.map((q) => q.MetricStat?.Metric?.Dimensions)).toEqual([[{ Name: 'DBClusterIdentifier', Value: 'ledger-aurora' }]]);
    expect(result.gaps).toContainEqual({ what: 'elb504', reason: 'not-configured', detail: 'no load balancer for this service' });
  });

  it('returns ordered series, the trend and no gaps on success', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'connections', StatusCode: 'Complete', Timestamps: [minute(3), minute(2), minute(1), minute(0)], Values: [300, 310, 320, 330] },
        { Id: 'elb504', StatusCode: 'Complete', Timestamps: [minute(1), minute(0)], Values: [4, 57] },
      ],
    });
    const result = await fetchServiceMetrics(client, options);
    expect(result.gaps).toEqual([]);
    expect(result.connections!.points).toEqual([
      { time: '2024-03-14T10:42:00.000Z', value: 300 },
      { time: '2024-03-14T10:43:00.000Z', value: 310 },
      { time: '2024-03-14T10:44:00.000Z', value: 320 },
      { time: '2024-03-14T10:45:00.000Z', value: 330 },
    ]);
    expect(result.elb504!.points.map((p) => p.value)).toEqual([4, 57]);
    expect(result.trend.slopePerMinute).toBeCloseTo(10, 10);
    expect(result.trend.minutesToMax).toBeCloseTo(7, 10);
    expect(result.trend.exhaustionAt).toBe('2024-03-14T10:52:00.000Z');
  });

  it('follows NextToken and merges pages', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'connections', Timestamps: [minute(1)], Values: [100], StatusCode: 'PartialData' }], NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'connections', Timestamps: [minute(0)], Values: [110], StatusCode: 'Complete' }] });
    const result = await fetchServiceMetrics(client, { database: { instance: 'orders-prod' }, now: NOW });
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect(result.connections!.points.map((p) => p.value)).toEqual([100, 110]);
  });

  it('passes an abort signal to every call', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await fetchServiceMetrics(client, options);
    const sendOptions = (cw.call(0).args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
    expect(sendOptions?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    ['access-denied', awsError('AccessDenied', 'User: arn:aws:sts::1:assumed-role/leakhound is not authorized to perform: cloudwatch:GetMetricData', 403)],
    ['throttled', awsError('Throttling', 'Rate exceeded', 400)],
    ['error', awsError('InternalServiceError', 'boom', 500)],
  ] as const)('turns an AWS error into a %s gap for each series', async (reason, error) => {
    cw.on(GetMetricDataCommand).rejects(error);
    const result = await fetchServiceMetrics(client, options);
    expect(result.connections).toBeNull();
    expect(result.elb504).toBeNull();
    expect(result.gaps.map((g) => [g.what, g.reason])).toEqual([
      ['connections', reason],
      ['elb504', reason],
    ]);
    expect(result.gaps[0]!.detail).toContain(error.name);
    expect(result.trend.minutesToMax).toBeNull();
  });

  it('gives up at the deadline when CloudWatch hangs', async () => {
    cw.on(GetMetricDataCommand).callsFake(() => new Promise<GetMetricDataCommandOutput>(() => {}));
    const started = Date.now();
    const result = await fetchServiceMetrics(client, { ...options, timeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.gaps.map((g) => g.reason)).toEqual(['timeout', 'timeout']);
  });

  it('names per-series problems: forbidden, and no datapoints for connections', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'connections', StatusCode: 'Complete', Timestamps: [], Values: [] },
        { Id: 'elb504', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'cross-account access denied' }] },
      ],
    });
    const result = await fetchServiceMetrics(client, options);
    expect(result.gaps).toEqual([
      { what: 'connections', reason: 'no-data', detail: 'AWS/RDS DatabaseConnections (DBInstanceIdentifier=orders-prod): no datapoints in the window' },
      { what: 'elb504', reason: 'access-denied', detail: `AWS/ApplicationELB HTTPCode_ELB_504_Count (LoadBalancer=${LB}): Forbidden; cross-account access denied` },
    ]);
    expect(result.connections!.points).toEqual([]);
  });

  it('treats an empty 504 series as "no 504s", not as a gap', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'connections', StatusCode: 'Complete', Timestamps: [minute(0)], Values: [12] },
        { Id: 'elb504', StatusCode: 'Complete', Timestamps: [], Values: [] },
      ],
    });
    const result = await fetchServiceMetrics(client, options);
    expect(result.gaps).toEqual([]);
    expect(result.elb504!.points).toEqual([]);
  });

  it('makes no call when nothing is configured', async () => {
    const result = await fetchServiceMetrics(client, { now: NOW });
    expect(cw.calls()).toHaveLength(0);
    expect(result.gaps.map((g) => g.reason)).toEqual(['not-configured', 'not-configured']);
  });
});

describe('fetchMetricsGraph', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);

  it('passes the PNG through as a Buffer and sends the widget JSON', async () => {
    cw.on(GetMetricWidgetImageCommand).resolves({ MetricWidgetImage: png });
    const result = await fetchMetricsGraph(client, { ...options, region: 'eu-west-1', lookbackMinutes: 60 });
    if (!result.ok) throw new Error(result.gap.detail);
    expect(Buffer.isBuffer(result.png)).toBe(true);
    expect([...result.png]).toEqual([...png]);
    const input = cw.commandCalls(GetMetricWidgetImageCommand)[0]!.args[0].input;
    expect(input.OutputFormat).toBe('png');
    expect(JSON.parse(input.MetricWidget!)).toEqual(JSON.parse(result.widget));
  });

  it('draws both series on two axes, with the max_connections line', () => {
    expect(buildWidgetDefinition({ ...options, region: 'eu-west-1', lookbackMinutes: 60 })).toEqual({
      title: 'Database connections and ELB 504s',
      view: 'timeSeries',
      stacked: false,
      metrics: [
        ['AWS/RDS', 'DatabaseConnections', 'DBInstanceIdentifier', 'orders-prod', { stat: 'Maximum', label: 'DB connections', color: '#1f77b4' }],
        ['AWS/ApplicationELB', 'HTTPCode_ELB_504_Count', 'LoadBalancer', LB, { stat: 'Sum', label: 'ELB 504', color: '#d62728', yAxis: 'right' }],
      ],
      period: 60,
      start: '2024-03-14T09:45:00.000Z',
      end: '2024-03-14T10:45:00.000Z',
      width: 800,
      height: 400,
      yAxis: { left: { min: 0, label: 'connections' }, right: { min: 0, label: '504/period' } },
      legend: { position: 'bottom' },
      region: 'eu-west-1',
      annotations: { horizontal: [{ label: 'max_connections', value: 400, color: '#ff7f0e' }] },
    });
  });

  it('uses a relative window when no time is pinned', () => {
    const widget = buildWidgetDefinition({ database: { instance: 'orders-prod' }, lookbackMinutes: 90 });
    expect(widget).toMatchObject({ start: '-PT90M', end: 'P0D' });
    expect(widget).not.toHaveProperty('annotations');
  });

  it('reports gaps: nothing to draw, an error, an empty or non-PNG answer', async () => {
    expect(await fetchMetricsGraph(client, { now: NOW })).toEqual({
      ok: false,
      gap: { what: 'graph', reason: 'not-configured', detail: 'no database or load balancer to graph' },
    });

    cw.on(GetMetricWidgetImageCommand)
      .rejectsOnce(awsError('AccessDenied', 'no', 403))
      .resolvesOnce({})
      .resolvesOnce({ MetricWidgetImage: new TextEncoder().encode('<html>') });
    expect(await fetchMetricsGraph(client, options)).toMatchObject({ ok: false, gap: { what: 'graph', reason: 'access-denied' } });
    expect(await fetchMetricsGraph(client, options)).toMatchObject({ ok: false, gap: { reason: 'no-data' } });
    expect(await fetchMetricsGraph(client, options)).toMatchObject({ ok: false, gap: { reason: 'error' } });
  });

  it('gives up at the deadline', async () => {
    cw.on(GetMetricWidgetImageCommand).callsFake(() => new Promise(() => {}));
    expect(await fetchMetricsGraph(client, { ...options, timeoutMs: 50 })).toMatchObject({ ok: false, gap: { reason: 'timeout' } });
  });
});

describe('createCloudWatchClient', () => {
  it('builds a client with a region and bounded retries', async () => {
    const built = createCloudWatchClient({ region: 'eu-west-1', timeoutMs: 1500 });
    expect(await built.config.region()).toBe('eu-west-1');
    expect(await built.config.maxAttempts()).toBe(2);
    built.destroy();
  });
});
