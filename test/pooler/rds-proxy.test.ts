// RDS Proxy's CloudWatch metrics (CloudWatch has no local form: mocked at the client's `send`
// with aws-sdk-client-mock, as test/metrics does): the right queries, pinning told apart from
// transactions held open, and both shown in the Report and in Slack.
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../lib/catalog/index.ts';
import { renderReportText } from '../../lib/cli/report-text.ts';
import { fetchProxyMetrics } from '../../lib/pooler/index.ts';
import type { Snapshot } from '../../lib/sessions/index.ts';
import { renderReportDetails } from '../../lib/slack/render/report.ts';
import { triageService } from '../../lib/triage/index.ts';

const cw = mockClient(CloudWatchClient);
let client: CloudWatchClient;
const NOW = new Date('2024-03-14T10:45:00Z');

function answer(values: Record<string, number>): void {
  cw.on(GetMetricDataCommand).resolves({
    MetricDataResults: Object.entries(values).map(([Id, v]) => ({ Id, Timestamps: [NOW], Values: [v], StatusCode: 'Complete' })),
  });
}

beforeEach(() => {
  cw.reset();
  client = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterEach(() => client.destroy());

describe('RDS Proxy metrics', () => {
  it('asks for the five proxy metrics, the ceiling per target group and role', async () => {
    answer({ clients: 10, database: 10, pinned: 0, intx: 1, max: 90 });
    await fetchProxyMetrics(client, { name: 'orders-proxy', targetGroup: 'default', timeoutMs: 2000, now: NOW });
    const queries = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!;
    expect(queries.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat, q.MetricStat?.Metric?.Dimensions?.map((d) => `${d.Name}=${d.Value}`).join(',')])).toEqual([
      ['clients', 'ClientConnections', 'Sum', 'ProxyName=orders-proxy'],
      ['database', 'DatabaseConnections', 'Sum', 'ProxyName=orders-proxy'],
      ['pinned', 'DatabaseConnectionsCurrentlySessionPinned', 'Sum', 'ProxyName=orders-proxy'],
      ['intx', 'DatabaseConnectionsCurrentlyInTransaction', 'Sum', 'ProxyName=orders-proxy'],
      ['max', 'MaxDatabaseConnectionsAllowed', 'Maximum', 'ProxyName=orders-proxy,TargetGroup=default,TargetRole=READ_WRITE'],
    ]);
  });

  it('calls connections pinned by session state pinning, not a leak', async () => {
    answer({ clients: 120, database: 88, pinned: 80, intx: 2, max: 90 });
    const { section, gaps } = await fetchProxyMetrics(client, { name: 'orders-proxy', targetGroup: 'default', timeoutMs: 2000, now: NOW });
    expect(gaps).toEqual([]);
    expect(section.verdict).toBe('pinning');
    expect(section.sentence).toMatch(/80 of its 88 database connections of the 90 it may open are pinned .*: pinning, not a leak/);
  });

  it('calls connections held inside transactions at the ceiling what a leak looks like', async () => {
    answer({ clients: 40, database: 89, pinned: 3, intx: 85, max: 90 });
    const { section } = await fetchProxyMetrics(client, { name: 'orders-proxy', targetGroup: 'default', timeoutMs: 2000, now: NOW });
    expect(section.verdict).toBe('held-transactions');
    expect(section.sentence).toMatch(/85 of its 89 database connections .* are inside a transaction, at its ceiling/);
  });

  it('names what it could not read: access denied, no datapoints', async () => {
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const denied = await fetchProxyMetrics(client, { name: 'p', targetGroup: 'default', timeoutMs: 2000, now: NOW });
    expect(denied.section.verdict).toBe('unknown');
    expect(denied.gaps[0]).toMatch(/^RDS Proxy p: access-denied: AccessDeniedException/);
    cw.reset();
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    expect((await fetchProxyMetrics(client, { name: 'p', targetGroup: 'default', timeoutMs: 2000, now: NOW })).gaps[0]).toMatch(/no datapoints/);
  });

  it('reaches the Report, the terminal and Slack for a database the catalog marks as behind the proxy', async () => {
    answer({ clients: 120, database: 88, pinned: 80, intx: 2, max: 90 });
    const parsed = parseCatalog(
      `defaults: { slackChannel: "#incidents" }
services:
  - name: orders
    database: { engine: postgres, url: { env: ORDERS_DB }, rdsProxy: { name: orders-proxy } }
`,
      'x.yml',
    );
    if (!parsed.ok) throw parsed.error;
    const catalog = parsed.catalog;
    expect(catalog.services[0]!.database.rdsProxy).toEqual({ name: 'orders-proxy', targetGroup: 'default' });
    const empty: Snapshot = {
      engine: 'postgres', target: 'postgres://x@db/orders', takenAt: NOW.toISOString(), durationMs: 1, serverVersion: 'PostgreSQL 16', capacity: null,
      sessions: [], groups: { byApplication: [], byClient: [], byState: [], byFingerprint: [] }, suspects: [], problems: [],
      thresholds: { minAgeMs: 0, longQueryMs: 0, lockWaitMs: 0 },
    };
    const report = await triageService({ catalog, service: catalog.services[0]!, deadlineMs: 3000 }, { env: { ORDERS_DB: 'postgres://x@db/orders' }, cloudwatch: client, snapshot: async () => empty });
    expect(report.pooler?.rdsProxy?.verdict).toBe('pinning');
    expect(renderReportText(report)).toMatch(/Pooler\n  RDS Proxy orders-proxy: 80 of its 88 .*pinning, not a leak/);
    expect(JSON.stringify(renderReportDetails(report, { incident: null }))).toContain('pinning, not a leak');
  });
});
