// CloudWatch alarms, as SNS delivers them to Lambda (or over HTTPS, already verified by the
// caller) and as EventBridge delivers "CloudWatch Alarm State Change" events.
import { z } from 'zod';
import { zodIssues } from './field-issues.ts';
import { mergeDimensions, resourcesOf, signalOfMetrics } from './classify.ts';
import type { Alert, AlertMetric, AlertSource, AlertState, FieldIssue } from './model.ts';
import { finiteOrNull, isRecord, nonEmpty, parseJson, thresholdFromReason, toIsoTime, valueFromReason } from './values.ts';

export type SourceParse = { ok: true; alerts: Alert[] } | { ok: false; issues: FieldIssue[] };

const AlarmStateValue = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
// Cosmetic fields must never sink an alarm: a bad one is dropped, not reported.
const optionalText = z.string().nullish().catch(undefined);
const optionalTags = z.record(z.string(), z.string()).optional().catch(undefined);

// --- SNS --------------------------------------------------------------------------------------

const DimensionList = z.array(z.object({ name: z.string(), value: z.string() }));

const TriggerMetricStat = z.object({
  Metric: z.object({
    Namespace: z.string(),
    MetricName: z.string(),
    Dimensions: DimensionList.optional(),
  }),
  Stat: z.string().nullish(),
});

const Trigger = z.object({
  MetricName: z.string().nullish(),
  Namespace: z.string().nullish(),
  Statistic: z.string().nullish(),
  ExtendedStatistic: z.string().nullish(),
  Dimensions: DimensionList.nullish(),
  Threshold: z.number().nullish(),
  // Metric-math alarms: one entry per metric or expression, `MetricStat` only on raw metrics.
  Metrics: z
    .array(
      z.object({
        Id: z.string().nullish(),
        Expression: z.string().nullish(),
        Label: z.string().nullish(),
        ReturnData: z.boolean().nullish(),
        MetricStat: TriggerMetricStat.nullish(),
      }),
    )
    .nullish(),
});

/** The JSON document CloudWatch publishes to SNS (`Sns.Message`). */
const AlarmMessage = z.object({
  AlarmName: z.string().min(1),
  AlarmDescription: optionalText,
  AlarmArn: z.string().nullish(),
  NewStateValue: AlarmStateValue,
  NewStateReason: z.string().nullish(),
  StateChangeTime: z.string(),
  // Composite alarms carry `AlarmRule` and no Trigger.
  Trigger: Trigger.nullish(),
});

const SnsNotification = z.object({
  Type: z.string().optional(),
  Message: z.string(),
  Timestamp: z.string().optional(),
});

const SnsLambdaEvent = z.object({
  Records: z.array(z.object({ EventSource: z.string().optional(), Sns: SnsNotification })).min(1),
});

export function isSnsLambdaEvent(input: Record<string, unknown>): boolean {
  const records = input['Records'];
  return Array.isArray(records) && records.some((r) => isRecord(r) && ('Sns' in r || r['EventSource'] === 'aws:sns'));
}

export function isSnsNotification(input: Record<string, unknown>): boolean {
  return typeof input['Type'] === 'string' && 'Message' in input && 'TopicArn' in input;
}

export function isAlarmMessage(input: Record<string, unknown>): boolean {
  return 'AlarmName' in input && 'NewStateValue' in input;
}

/** SNS to Lambda (`Records[]`), an SNS HTTPS notification body, or the bare alarm message. */
export function parseSnsAlarm(input: unknown): SourceParse {
  if (!isRecord(input)) return fail('(root)', 'expected an object');
  if (isSnsLambdaEvent(input)) {
    const envelope = SnsLambdaEvent.safeParse(input, { reportInput: true });
    if (!envelope.success) return { ok: false, issues: zodIssues(envelope.error) };
    const alerts: Alert[] = [];
    for (const [i, record] of envelope.data.Records.entries()) {
      const one = parseSnsMessageText(record.Sns.Message, `Records[${i}].Sns.Message`);
      if (!one.ok) return one;
      alerts.push(...one.alerts);
    }
    return { ok: true, alerts };
  }
  if (isSnsNotification(input)) {
    if (input['Type'] === 'SubscriptionConfirmation' || input['Type'] === 'UnsubscribeConfirmation') {
      return fail('Type', `SNS ${String(input['Type'])} carries no alarm; confirm the subscription instead`);
    }
    const notification = SnsNotification.safeParse(input, { reportInput: true });
    if (!notification.success) return { ok: false, issues: zodIssues(notification.error) };
    return parseSnsMessageText(notification.data.Message, 'Message');
  }
  return parseAlarmMessage(input, '');
}

function parseSnsMessageText(text: string, path: string): SourceParse {
  const json = parseJson(text);
  if (!json.ok) return fail(path, `not JSON (${json.error}); expected a CloudWatch alarm message`);
  return parseAlarmMessage(json.value, path);
}

function parseAlarmMessage(input: unknown, path: string): SourceParse {
  const parsed = AlarmMessage.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error, path) };
  const message = parsed.data;
  const trigger = message.Trigger ?? null;
  const metrics: AlertMetric[] = [];
  if (trigger?.MetricName && trigger.Namespace) {
    metrics.push({
      namespace: trigger.Namespace,
      name: trigger.MetricName,
      dimensions: dimensionRecord(trigger.Dimensions ?? []),
      stat: statName(trigger.Statistic) ?? trigger.ExtendedStatistic ?? null,
    });
  }
  for (const entry of trigger?.Metrics ?? []) {
    const stat = entry.MetricStat;
    if (!stat) continue;
    metrics.push({
      namespace: stat.Metric.Namespace,
      name: stat.Metric.MetricName,
      dimensions: dimensionRecord(stat.Metric.Dimensions ?? []),
      stat: stat.Stat ?? null,
    });
  }
  const reason = message.NewStateReason ?? '';
  return {
    ok: true,
    alerts: [
      cloudWatchAlert({
        source: 'cloudwatch-sns',
        name: message.AlarmName,
        arn: nonEmpty(message.AlarmArn),
        stateValue: message.NewStateValue,
        reason,
        time: message.StateChangeTime,
        metrics,
        value: valueFromReason(reason),
        threshold: trigger?.Threshold ?? thresholdFromReason(reason),
        description: message.AlarmDescription ?? null,
        tags: {},
      }),
    ],
  };
}

// The SNS message spells statistics `MAXIMUM`/`SAMPLE_COUNT`; the APIs say `Maximum`/`SampleCount`.
const STAT_NAMES: Record<string, string> = {
  AVERAGE: 'Average',
  SUM: 'Sum',
  MINIMUM: 'Minimum',
  MAXIMUM: 'Maximum',
  SAMPLE_COUNT: 'SampleCount',
};

function statName(value: string | null | undefined): string | null {
  if (!value) return null;
  return Object.hasOwn(STAT_NAMES, value) ? STAT_NAMES[value]! : value;
}

function dimensionRecord(list: readonly { name: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(list.map((d) => [d.name, d.value]));
}

// --- EventBridge ------------------------------------------------------------------------------

const EventBridgeState = z.object({
  value: AlarmStateValue,
  reason: z.string().nullish(),
  reasonData: optionalText,
  timestamp: z.string().nullish(),
  // Composite alarms with an actions suppressor: `WaitPeriod`, `ExtensionPeriod` or `Alarm`.
  actionsSuppressedBy: optionalText,
  actionsSuppressedReason: optionalText,
});

const EventBridgeMetric = z.object({
  id: z.string().nullish(),
  expression: z.string().nullish(),
  label: z.string().nullish(),
  returnData: z.boolean().nullish(),
  metricStat: z
    .object({
      metric: z.object({
        namespace: z.string(),
        name: z.string(),
        // An object here, unlike the `[{name,value}]` list in the SNS message.
        dimensions: z.record(z.string(), z.string()).nullish(),
      }),
      stat: z.string().nullish(),
    })
    .nullish(),
});

export const EVENTBRIDGE_DETAIL_TYPE = 'CloudWatch Alarm State Change';

const EventBridgeEvent = z.object({
  'detail-type': z.literal(EVENTBRIDGE_DETAIL_TYPE),
  time: z.string().nullish(),
  region: z.string().nullish(),
  account: z.string().nullish(),
  resources: z.array(z.string()).nullish(),
  detail: z.object({
    alarmName: z.string().min(1),
    state: EventBridgeState,
    configuration: z
      .object({
        description: optionalText,
        metrics: z.array(EventBridgeMetric).nullish(),
      })
      .nullish(),
    alarmTags: optionalTags,
  }),
});

export function isEventBridgeEvent(input: Record<string, unknown>): boolean {
  return ('detail-type' in input && 'detail' in input) || isAlarmActionEvent(input);
}

/**
 * A CloudWatch alarm that invokes a Lambda function directly (alarm actions, 2023): the same
 * alarm body as EventBridge's `detail`, under `alarmData`, with `alarmArn` and `accountId`.
 */
export function isAlarmActionEvent(input: Record<string, unknown>): boolean {
  return input['source'] === 'aws.cloudwatch' && isRecord(input['alarmData']) && !('detail' in input);
}

/** The alarm-action shape read as an EventBridge event, so one parser serves both. */
function asEventBridge(input: unknown): unknown {
  if (!isRecord(input) || !isAlarmActionEvent(input)) return input;
  const arn = typeof input['alarmArn'] === 'string' ? input['alarmArn'].replace(/\s+/g, '') : null;
  return {
    ...input,
    'detail-type': input['detail-type'] ?? EVENTBRIDGE_DETAIL_TYPE,
    detail: input['alarmData'],
    account: input['account'] ?? input['accountId'],
    resources: input['resources'] ?? (arn ? [arn] : undefined),
  };
}

export function parseEventBridgeAlarm(input: unknown): SourceParse {
  const parsed = EventBridgeEvent.safeParse(asEventBridge(input), { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const event = parsed.data;
  const { detail } = event;
  const metrics: AlertMetric[] = [];
  for (const entry of detail.configuration?.metrics ?? []) {
    const stat = entry.metricStat;
    if (!stat) continue;
    metrics.push({
      namespace: stat.metric.namespace,
      name: stat.metric.name,
      dimensions: { ...(stat.metric.dimensions ?? {}) },
      stat: stat.stat ?? null,
    });
  }
  const reason = detail.state.reason ?? '';
  const data = reasonData(detail.state.reasonData ?? null);
  const arn =
    event.resources?.find((r) => r.startsWith('arn:') && r.includes(':alarm:')) ??
    (event.region && event.account ? `arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${detail.alarmName}` : null);
  return {
    ok: true,
    alerts: [
      cloudWatchAlert({
        source: 'cloudwatch-eventbridge',
        name: detail.alarmName,
        arn,
        stateValue: detail.state.value,
        reason,
        time: detail.state.timestamp ?? event.time ?? null,
        metrics,
        value: valueFromReason(reason) ?? data.value,
        threshold: data.threshold ?? thresholdFromReason(reason),
        description: detail.configuration?.description ?? null,
        tags: detail.alarmTags ?? {},
        suppressed: detail.state.actionsSuppressedBy
          ? { by: detail.state.actionsSuppressedBy, reason: detail.state.actionsSuppressedReason ?? `actions suppressed by ${detail.state.actionsSuppressedBy}` }
          : null,
      }),
    ],
  };
}

/** `state.reasonData` is itself a JSON string; read what it offers and ignore the rest. */
function reasonData(text: string | null): { value: number | null; threshold: number | null } {
  if (text === null) return { value: null, threshold: null };
  const json = parseJson(text);
  if (!json.ok || !isRecord(json.value)) return { value: null, threshold: null };
  const data = json.value;
  let value: number | null = null;
  const evaluated = data['evaluatedDatapoints'];
  if (Array.isArray(evaluated) && isRecord(evaluated[0])) value = finiteOrNull(evaluated[0]['value']);
  const recent = data['recentDatapoints'];
  if (value === null && Array.isArray(recent) && recent.length > 0) value = finiteOrNull(recent[recent.length - 1]);
  return { value, threshold: finiteOrNull(data['threshold']) };
}

// --- shared -----------------------------------------------------------------------------------

interface CloudWatchFacts {
  source: AlertSource;
  name: string;
  arn: string | null;
  stateValue: z.infer<typeof AlarmStateValue>;
  reason: string;
  time: string | null;
  metrics: AlertMetric[];
  value: number | null;
  threshold: number | null;
  description: string | null;
  tags: Record<string, string>;
  suppressed?: Alert['suppressed'];
}

const STATES: Record<z.infer<typeof AlarmStateValue>, AlertState> = {
  ALARM: 'firing',
  OK: 'resolved',
  INSUFFICIENT_DATA: 'insufficient-data',
};

function cloudWatchAlert(facts: CloudWatchFacts): Alert {
  const state = STATES[facts.stateValue];
  const signal = signalOfMetrics(facts.metrics);
  const dimensions = mergeDimensions(facts.metrics.map((m) => m.dimensions));
  const description = nonEmpty(facts.description);
  return {
    source: facts.source,
    kind: state === 'resolved' ? 'resolved' : state === 'firing' ? signal : 'other',
    signal,
    state,
    name: facts.name,
    key: facts.arn ?? `cloudwatch:${facts.name}`,
    resources: resourcesOf(dimensions),
    dimensions,
    metrics: facts.metrics,
    labels: { ...facts.tags },
    annotations: description === null ? {} : { description },
    service: null,
    value: facts.value,
    threshold: facts.threshold,
    // A missing/unreadable time should not lose the alarm; "now" is the best stand-in.
    time: toIsoTime(facts.time) ?? new Date().toISOString(),
    link: consoleLink(facts.arn, facts.name),
    reason: facts.reason,
    suppressed: facts.suppressed ?? null,
  };
}

const CONSOLE_HOSTS: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** The CloudWatch console page of the alarm, from its ARN (`arn:aws:cloudwatch:<region>:<acct>:alarm:<name>`). */
export function consoleLink(arn: string | null, name: string): string | null {
  if (arn === null) return null;
  const parts = arn.split(':');
  const partition = parts[1];
  const region = parts[3];
  if (parts[0] !== 'arn' || parts[2] !== 'cloudwatch' || !partition || !region || !/^[a-z0-9-]+$/.test(region)) return null;
  const host = Object.hasOwn(CONSOLE_HOSTS, partition) ? CONSOLE_HOSTS[partition] : undefined;
  if (host === undefined) return null;
  // A lone surrogate (a name cut mid-character) would make encodeURIComponent throw.
  const wellFormed = name.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return `https://${region}.${host}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(wellFormed)}`;
}

function fail(path: string, message: string): SourceParse {
  return { ok: false, issues: [{ path, message }] };
}
