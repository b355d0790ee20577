// The single entry point: any alarm payload in, Alerts or a field-naming error out. Never throws.
import {
  isAlarmMessage,
  isEventBridgeEvent,
  isSnsLambdaEvent,
  isSnsNotification,
  parseEventBridgeAlarm,
  parseSnsAlarm,
  type SourceParse,
} from './cloudwatch.ts';
import { issuesToText } from './field-issues.ts';
import { ALERT_SOURCES, type AlertSource, type FieldIssue, type ParseAlertsResult } from './model.ts';
import { isWebhookWithAlerts, looksLikeGrafana, parseAlertmanagerWebhook, parseGrafanaWebhook } from './prometheus.ts';
import { isRecord, parseJson } from './values.ts';
import { errorMessage } from '../errors/index.ts';

// One row per alert source: how its payload is recognised and how it is parsed. A new source is
// a parser module, its name in ALERT_SOURCES (model.ts) and a row here; the compiler rejects a
// named source without a row. Detection tries the sources in ALERT_SOURCES order.
interface SourceRow {
  detects(input: Record<string, unknown>): boolean;
  parse(input: unknown): SourceParse;
}

const SOURCES = {
  'cloudwatch-sns': { detects: (i) => isSnsLambdaEvent(i) || isSnsNotification(i) || isAlarmMessage(i), parse: parseSnsAlarm },
  'cloudwatch-eventbridge': { detects: isEventBridgeEvent, parse: parseEventBridgeAlarm },
  alertmanager: { detects: (i) => isWebhookWithAlerts(i) && !looksLikeGrafana(i), parse: parseAlertmanagerWebhook },
  grafana: { detects: (i) => isWebhookWithAlerts(i) && looksLikeGrafana(i), parse: parseGrafanaWebhook },
} satisfies Record<AlertSource, SourceRow>;

export function detectSource(input: unknown): AlertSource | null {
  if (!isRecord(input)) return null;
  return ALERT_SOURCES.find((source) => SOURCES[source].detects(input)) ?? null;
}

/**
 * Normalise an alarm payload. `input` may be the decoded JSON or the raw body text. With a
 * `hint` (the endpoint it arrived on) detection is skipped and that source's format enforced.
 */
export function parseAlerts(input: unknown, hint?: AlertSource): ParseAlertsResult {
  try {
    return parseUnsafe(input, hint);
  } catch (err) {
    // Belt and braces: the parsers are total, but a webhook must never crash the function.
    const message = errorMessage(err);
    return failure(hint ?? null, [{ path: '(root)', message: `internal parser error: ${message}` }]);
  }
}

function parseUnsafe(input: unknown, hint: AlertSource | undefined): ParseAlertsResult {
  let payload = input;
  if (typeof input === 'string') {
    const json = parseJson(input);
    if (!json.ok) return failure(hint ?? null, [{ path: '(root)', message: `not JSON (${json.error})` }]);
    payload = json.value;
  }
  if (hint !== undefined && !ALERT_SOURCES.includes(hint)) {
    return failure(null, [{ path: '(hint)', message: `unknown source ${JSON.stringify(hint)}` }]);
  }
  const source = hint ?? detectSource(payload);
  if (source === null) {
    return failure(null, [
      {
        path: '(root)',
        message: isRecord(payload)
          ? 'unrecognised payload: expected an SNS event (Records[].Sns), an SNS notification, a CloudWatch alarm message, ' +
            'an EventBridge "CloudWatch Alarm State Change" event, or an Alertmanager/Grafana webhook (alerts[])'
          : 'expected a JSON object',
      },
    ]);
  }
  const result = SOURCES[source].parse(payload);
  if (!result.ok) return failure(source, result.issues);
  return { ok: true, source, alerts: result.alerts };
}

function failure(source: AlertSource | null, issues: FieldIssue[]): ParseAlertsResult {
  const text = issuesToText(issues);
  return { ok: false, error: { source, issues, message: source === null ? text : `${source}: ${text}` } };
}
