import { describe, expect, it } from 'vitest';
import { detectSource, parseAlerts, type Alert, type ParseAlertsResult } from '../../lib/alerts/index.ts';
import { alertFixture, alertFixtureNames, alertFixtureText } from '../support/alert-fixtures.ts';

const LB = 'app/public-web/50dc6c495c0c9188';
const ARN = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:';
const CONSOLE = 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/';

function alertsOf(result: ParseAlertsResult): Alert[] {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.alerts;
}

function errorOf(result: ParseAlertsResult) {
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

describe('CloudWatch alarm via SNS → Lambda', () => {
  it('normalises a single-metric RDS DatabaseConnections alarm', () => {
    const result = parseAlerts(alertFixture('sns-rds-connections-alarm.json'));
    expect(result.ok && result.source).toBe('cloudwatch-sns');
    expect(alertsOf(result)).toEqual<Alert[]>([
      {
        source: 'cloudwatch-sns',
        kind: 'db-connections-high',
        signal: 'db-connections-high',
        state: 'firing',
        name: 'orders-db-connections-high',
        key: `${ARN}orders-db-connections-high`,
        resources: [{ type: 'rds-instance', id: 'orders-prod' }],
        dimensions: { DBInstanceIdentifier: 'orders-prod' },
        metrics: [
          { namespace: 'AWS/RDS', name: 'DatabaseConnections', dimensions: { DBInstanceIdentifier: 'orders-prod' }, stat: 'Maximum' },
        ],
        labels: {},
        annotations: {
          description: 'DatabaseConnections on orders-prod at 80% of max_connections (400). Leakhound triages this alarm.',
        },
        service: null,
        value: 341,
        threshold: 320,
        time: '2024-03-14T10:42:12.571Z',
        link: `${CONSOLE}orders-db-connections-high`,
        reason:
          'Threshold Crossed: 3 out of the last 3 datapoints [341.0 (14/03/24 10:41:00), 327.0 (14/03/24 10:40:00), 318.0 (14/03/24 10:39:00)] were greater than or equal to the threshold (320.0) (minimum 3 datapoints for OK -> ALARM transition).',
        suppressed: null,
      },
    ]);
  });

  it('marks the OK transition resolved and keeps what it was about', () => {
    const [alert] = alertsOf(parseAlerts(alertFixture('sns-rds-connections-ok.json')));
    expect(alert).toMatchObject({
      kind: 'resolved',
      signal: 'db-connections-high',
      state: 'resolved',
      key: `${ARN}orders-db-connections-high`,
      value: 212,
      threshold: 320,
      time: '2024-03-14T11:06:09.004Z',
      resources: [{ type: 'rds-instance', id: 'orders-prod' }],
    });
  });

  it('reads metric-math alarms from Trigger.Metrics[].MetricStat', () => {
    const [alert] = alertsOf(parseAlerts(alertFixture('sns-alb-504-metric-math.json')));
    expect(alert).toMatchObject({
      source: 'cloudwatch-sns',
      kind: 'lb-5xx',
      state: 'firing',
      name: 'public-web-504-rate',
      resources: [{ type: 'load-balancer', id: LB }],
      dimensions: { LoadBalancer: LB },
      value: 12.5,
      threshold: 5,
      time: '2024-03-14T10:44:31.208Z',
      link: `${CONSOLE}public-web-504-rate`,
    });
    expect(alert!.metrics.map((m) => `${m.namespace} ${m.name} ${m.stat}`)).toEqual([
      'AWS/ApplicationELB HTTPCode_ELB_504_Count Sum',
      'AWS/ApplicationELB RequestCount Sum',
    ]);
  });

  it('accepts the HTTPS subscription body (signature checked by the caller)', () => {
    const [alert] = alertsOf(parseAlerts(alertFixture('sns-https-target-5xx.json')));
    expect(alert).toMatchObject({
      source: 'cloudwatch-sns',
      kind: 'lb-5xx',
      name: 'billing-api-target-5xx',
      resources: [
        { type: 'target-group', id: 'targetgroup/billing-api/6d0ecf831eec9f09' },
        { type: 'load-balancer', id: LB },
      ],
      value: 48,
      threshold: 20,
      annotations: {},
    });
  });

  it('accepts the bare alarm message (Sns.Message already decoded)', () => {
    const envelope = alertFixture('sns-rds-connections-alarm.json') as { Records: { Sns: { Message: string } }[] };
    const message = JSON.parse(envelope.Records[0]!.Sns.Message) as unknown;
    const direct = alertsOf(parseAlerts(message));
    expect(direct).toEqual(alertsOf(parseAlerts(envelope)));
  });

  it('maps INSUFFICIENT_DATA to its own state, not to a reason to triage', () => {
    const message = JSON.parse(
      (alertFixture('sns-rds-connections-alarm.json') as { Records: { Sns: { Message: string } }[] }).Records[0]!.Sns.Message,
    ) as Record<string, unknown>;
    const [alert] = alertsOf(parseAlerts({ ...message, NewStateValue: 'INSUFFICIENT_DATA' }));
    expect(alert).toMatchObject({ state: 'insufficient-data', kind: 'other', signal: 'db-connections-high' });
  });

  it('accepts composite alarms, which have no Trigger', () => {
    const [alert] = alertsOf(
      parseAlerts({
        AlarmName: 'orders-composite',
        NewStateValue: 'ALARM',
        NewStateReason: 'arn:aws:cloudwatch:… transitioned to ALARM',
        StateChangeTime: '2024-03-14T10:42:12.571+0000',
        AlarmRule: 'ALARM(orders-db-connections-high) AND ALARM(public-web-504-rate)',
      }),
    );
    expect(alert).toMatchObject({ kind: 'other', state: 'firing', key: 'cloudwatch:orders-composite', link: null, metrics: [] });
  });
});

describe('EventBridge "CloudWatch Alarm State Change"', () => {
  it('reads dimensions as an object and the value/threshold from the state', () => {
    const result = parseAlerts(alertFixture('eventbridge-aurora-connections-alarm.json'));
    expect(result.ok && result.source).toBe('cloudwatch-eventbridge');
    const [alert] = alertsOf(result);
    expect(alert).toMatchObject({
      source: 'cloudwatch-eventbridge',
      kind: 'db-connections-high',
      state: 'firing',
      name: 'ledger-aurora-connections-high',
      key: `${ARN}ledger-aurora-connections-high`,
      resources: [{ type: 'rds-cluster', id: 'ledger-aurora' }],
      dimensions: { DBClusterIdentifier: 'ledger-aurora' },
      value: 1264,
      threshold: 1200,
      time: '2024-03-14T10:42:40.304Z',
      link: `${CONSOLE}ledger-aurora-connections-high`,
      annotations: { description: 'Aurora cluster ledger-aurora: DatabaseConnections above 1200' },
    });
  });

  it('resolves a metric-math 5xx alarm', () => {
    const [alert] = alertsOf(parseAlerts(alertFixture('eventbridge-alb-5xx-metric-math-ok.json')));
    expect(alert).toMatchObject({
      kind: 'resolved',
      signal: 'lb-5xx',
      state: 'resolved',
      resources: [{ type: 'load-balancer', id: LB }],
      value: 0,
      threshold: 50,
      time: '2024-03-14T11:12:05.024Z',
    });
    expect(alert!.metrics).toHaveLength(2);
  });
});

describe('Alertmanager webhook v4', () => {
  const alerts = alertsOf(parseAlerts(alertFixture('alertmanager-v4-mixed.json')));

  it('yields one Alert per alert in the group', () => {
    expect(alerts.map((a) => [a.source, a.name, a.state, a.kind])).toEqual([
      ['alertmanager', 'PostgresTooManyConnections', 'firing', 'db-connections-high'],
      ['alertmanager', 'LedgerDbSaturated', 'resolved', 'resolved'],
      ['alertmanager', 'PublicWebErrors', 'firing', 'lb-5xx'],
    ]);
  });

  it('takes value and threshold from annotations, identity from the fingerprint', () => {
    expect(alerts[0]).toMatchObject({
      key: 'a9c1e3b4d5f60718',
      value: 372,
      threshold: 320,
      time: '2024-03-14T10:41:30.123Z',
      labels: { service: 'billing-api', datname: 'orders' },
      reason: 'orders: 372 of 400 connections in use',
      link: expect.stringContaining('pg_stat_activity_count') as unknown,
      service: null,
    });
  });

  it('infers the signal from the rule expression when the name says nothing', () => {
    expect(alerts[1]).toMatchObject({ signal: 'db-connections-high', time: '2024-03-14T10:39:00.000Z' });
  });

  it('recovers CloudWatch dimensions from exporter labels', () => {
    expect(alerts[2]).toMatchObject({ dimensions: { LoadBalancer: LB }, resources: [{ type: 'load-balancer', id: LB }] });
  });

  it('honours an explicit leakhound_kind label', () => {
    const payload = alertFixture('alertmanager-v4-mixed.json') as { alerts: { labels: Record<string, string> }[] };
    payload.alerts[2]!.labels['leakhound_kind'] = 'db-connections-high';
    expect(alertsOf(parseAlerts(payload))[2]!.kind).toBe('db-connections-high');
  });
});

describe('Grafana unified alerting webhook', () => {
  const result = parseAlerts(alertFixture('grafana-unified-mixed.json'));
  const alerts = alertsOf(result);

  it('is told apart from Alertmanager', () => {
    expect(result.ok && result.source).toBe('grafana');
  });

  it('uses the panel link and the reduced value (not the condition)', () => {
    expect(alerts[0]).toMatchObject({
      source: 'grafana',
      kind: 'lb-5xx',
      state: 'firing',
      name: 'ALB 504s',
      key: '3f1d0c9e8b7a6a55',
      value: 57,
      link: 'https://grafana.example.com/d/edge-alb?orgId=1&viewPanel=4',
      time: '2024-03-14T09:43:00.000Z',
      dimensions: { LoadBalancer: LB },
    });
  });

  it('falls back to the generator URL when panel and dashboard are empty', () => {
    expect(alerts[1]).toMatchObject({
      kind: 'resolved',
      signal: 'db-connections-high',
      value: 118,
      link: 'https://grafana.example.com/alerting/grafana/a7k2m9q4w1e5r8/view?orgId=1',
      time: '2024-03-14T11:07:00.000Z',
    });
  });
});

describe('every fixture', () => {
  it.each(alertFixtureNames())('%s parses from its raw text, with a valid time and a known kind', (name) => {
    const fromText = parseAlerts(alertFixtureText(name));
    const alerts = alertsOf(fromText);
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      expect(new Date(alert.time).toISOString()).toBe(alert.time);
      expect(['db-connections-high', 'lb-5xx', 'resolved', 'other']).toContain(alert.kind);
      expect(alert.service).toBeNull();
    }
    expect(alertsOf(parseAlerts(alertFixture(name)))).toEqual(alerts);
  });

  it.each(alertFixtureNames())('%s is detected as the source its name says', (name) => {
    const expected = name.startsWith('sns-')
      ? 'cloudwatch-sns'
      : name.startsWith('eventbridge-')
        ? 'cloudwatch-eventbridge'
        : name.startsWith('alertmanager-')
          ? 'alertmanager'
          : 'grafana';
    expect(detectSource(alertFixture(name))).toBe(expected);
  });
});

describe('bad payloads', () => {
  function snsWith(mutate: (message: Record<string, unknown>) => void): unknown {
    const event = alertFixture('sns-rds-connections-alarm.json') as { Records: { Sns: { Message: string } }[] };
    const message = JSON.parse(event.Records[0]!.Sns.Message) as Record<string, unknown>;
    mutate(message);
    event.Records[0]!.Sns.Message = JSON.stringify(message);
    return event;
  }

  it('names the dimension field that is wrong', () => {
    const error = errorOf(
      parseAlerts(
        snsWith((m) => {
          (m['Trigger'] as { Dimensions: unknown[] }).Dimensions = [{ name: 'DBInstanceIdentifier', value: 7 }];
        }),
      ),
    );
    expect(error.source).toBe('cloudwatch-sns');
    expect(error.message).toContain('Records[0].Sns.Message.Trigger.Dimensions[0].value: expected string');
    expect(error.issues[0]).toEqual({ path: 'Records[0].Sns.Message.Trigger.Dimensions[0].value', message: 'expected string, got number' });
  });

  it('names a missing alarm name and an unknown state', () => {
    const error = errorOf(
      parseAlerts(
        snsWith((m) => {
          delete m['AlarmName'];
          m['NewStateValue'] = 'BROKEN';
        }),
      ),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['Records[0].Sns.Message.AlarmName', 'Records[0].Sns.Message.NewStateValue']);
    expect(error.issues[0]!.message).toMatch(/^required/);
    expect(error.issues[1]!.message).toContain('"ALARM"');
  });

  it('says when Sns.Message is not JSON', () => {
    const event = alertFixture('sns-rds-connections-alarm.json') as { Records: { Sns: { Message: string } }[] };
    event.Records[0]!.Sns.Message = 'ALARM: orders-db-connections-high';
    expect(errorOf(parseAlerts(event)).message).toMatch(/^cloudwatch-sns: Records\[0\]\.Sns\.Message: not JSON/);
  });

  it('refuses an SNS subscription confirmation with a clear reason', () => {
    const error = errorOf(
      parseAlerts({ Type: 'SubscriptionConfirmation', TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: 'You have chosen…', SubscribeURL: 'https://…' }),
    );
    expect(error.issues[0]!.path).toBe('Type');
    expect(error.message).toContain('confirm the subscription');
  });

  it('names EventBridge fields, dimensions being an object there', () => {
    const event = alertFixture('eventbridge-aurora-connections-alarm.json') as {
      detail: { configuration: { metrics: { metricStat: { metric: { dimensions: unknown } } }[] } };
    };
    event.detail.configuration.metrics[0]!.metricStat.metric.dimensions = [{ name: 'DBClusterIdentifier', value: 'x' }];
    const error = errorOf(parseAlerts(event));
    expect(error.issues[0]!.path).toBe('detail.configuration.metrics[0].metricStat.metric.dimensions');
    expect(error.issues[0]!.message).toBe('expected record, got array');
  });

  it('rejects other EventBridge event types by name', () => {
    const event = { ...alertFixture('eventbridge-aurora-connections-alarm.json'), 'detail-type': 'EC2 Instance State-change Notification' };
    const error = errorOf(parseAlerts(event));
    expect(error.issues[0]!.path).toBe('detail-type');
    expect(error.message).toContain('CloudWatch Alarm State Change');
  });

  it('names a bad Alertmanager alert field by index', () => {
    const payload = alertFixture('alertmanager-v4-mixed.json') as { alerts: Record<string, unknown>[] };
    payload.alerts[1]!['status'] = 'pending';
    (payload.alerts[2]!['labels'] as Record<string, unknown>)['severity'] = 3;
    const error = errorOf(parseAlerts(payload));
    expect(error.source).toBe('alertmanager');
    expect(error.issues.map((i) => i.path)).toEqual(['alerts[1].status', 'alerts[2].labels.severity']);
  });

  it('rejects an empty alerts list', () => {
    expect(errorOf(parseAlerts({ version: '4', status: 'firing', alerts: [] })).issues[0]).toEqual({
      path: 'alerts',
      message: 'expected at least 1 item(s)',
    });
  });

  it('enforces the hinted source', () => {
    const error = errorOf(parseAlerts(alertFixture('grafana-unified-mixed.json'), 'cloudwatch-eventbridge'));
    expect(error.source).toBe('cloudwatch-eventbridge');
    expect(error.issues.map((i) => i.path)).toContain('detail-type');
  });

  it.each([
    ['not JSON text', '{"Records": ['],
    ['a number', 42],
    ['null', null],
    ['an array', [1, 2]],
    ['an unknown object', { hello: 'world' }],
  ])('reports %s without throwing', (_label, input) => {
    const error = errorOf(parseAlerts(input));
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.issues[0]!.path).toBe('(root)');
  });
});
