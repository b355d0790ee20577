// The one Alert shape every alarm source is normalised into. Triage, the incident store and
// Slack read only this; nothing downstream looks at a raw payload again.

export const ALERT_SOURCES = ['cloudwatch-sns', 'cloudwatch-eventbridge', 'alertmanager', 'grafana'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export const ALERT_KINDS = ['db-connections-high', 'lb-5xx', 'resolved', 'other'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What the alert watches, whatever its state: the kind it has (or had) while firing. */
export type AlertSignal = Exclude<AlertKind, 'resolved'>;

/**
 * `insufficient-data` is CloudWatch's third state (the metric stopped reporting). It is neither
 * a reason to triage nor proof of recovery, so it gets kind `other` and its own state.
 */
export type AlertState = 'firing' | 'resolved' | 'insufficient-data';

export type ResourceType = 'rds-instance' | 'rds-cluster' | 'load-balancer' | 'target-group' | 'other';

export interface AlertResource {
  type: ResourceType;
  /** The CloudWatch dimension value, e.g. `orders-prod` or `app/web-alb/50dc6c495c0c9188`. */
  id: string;
}

/** A metric the alarm evaluates (one for single-metric alarms, several for metric math). */
export interface AlertMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  stat: string | null;
}

export interface Alert {
  source: AlertSource;
  /** `resolved` when the alarm went back to OK; otherwise the signal (or `other`). */
  kind: AlertKind;
  /** The kind this alarm stands for when it fires; kept on resolution so the incident can be found. */
  signal: AlertSignal;
  state: AlertState;
  /** Alarm name (CloudWatch) or `alertname` label (Alertmanager/Grafana). */
  name: string;
  /** Stable identity for deduplication: alarm ARN, Alertmanager/Grafana fingerprint, or name. */
  key: string;
  resources: AlertResource[];
  /** CloudWatch dimensions of every metric the alarm reads, merged (first value wins). */
  dimensions: Record<string, string>;
  metrics: AlertMetric[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Filled by catalog mapping (`routeAlert`); null straight out of the parser. */
  service: string | null;
  value: number | null;
  threshold: number | null;
  /** ISO 8601, UTC. When the state changed (or the alert started/ended). */
  time: string;
  /** Console, generator, panel or dashboard URL; never fetched by the bot. */
  link: string | null;
  /** Human-readable reason or summary, as sent by the source. */
  reason: string;
  /**
   * CloudWatch suppressed this alarm's actions (a composite alarm's actions suppressor, e.g. a
   * maintenance alarm): recorded, never triaged. Null when not suppressed.
   */
  suppressed: { by: string; reason: string } | null;
}

/** A problem with one field of an input, `path` written like `Records[0].Sns.Message.Trigger`. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface AlertParseError {
  /** The source the payload was taken for, or null when it matched none. */
  source: AlertSource | null;
  issues: FieldIssue[];
  /** One line: `cloudwatch-sns: Records[0].Sns.Message.Trigger.Dimensions[0].value: expected string`. */
  message: string;
}

export type ParseAlertsResult =
  | { ok: true; source: AlertSource; alerts: Alert[] }
  | { ok: false; error: AlertParseError };
