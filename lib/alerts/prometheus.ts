// Alertmanager webhooks (payload version 4) and Grafana unified-alerting webhooks. Both carry
// several alerts per request; each becomes its own Alert.
import { z } from 'zod';
import { zodIssues } from './field-issues.ts';
import { dimensionsFromLabels, resourcesOf, signalOfLabels } from './classify.ts';
import type { Alert, AlertSource } from './model.ts';
import type { SourceParse } from './cloudwatch.ts';
import { finiteOrNull, isRecord, nonEmpty, toIsoTime } from './values.ts';

const StringMap = z.record(z.string(), z.string());

const AlertmanagerAlert = z.object({
  // Old Alertmanager releases (2018) sent no per-alert status; the group's stands in.
  status: z.enum(['firing', 'resolved']).optional(),
  labels: StringMap,
  annotations: StringMap.nullish(),
  startsAt: z.string(),
  endsAt: z.string().nullish(),
  generatorURL: z.string().nullish(),
  fingerprint: z.string().nullish(),
});

const GroupStatus = z.enum(['firing', 'resolved']).nullish().catch(undefined);

const AlertmanagerWebhook = z.object({
  version: z.string().nullish(),
  status: GroupStatus,
  alerts: z.array(AlertmanagerAlert).min(1),
});

// Grafana adds per-alert links and the evaluated values (`values` by refId, `valueString`).
const GrafanaAlert = AlertmanagerAlert.extend({
  values: z.record(z.string(), z.number().nullable()).nullish().catch(undefined),
  valueString: z.string().nullish().catch(undefined),
  dashboardURL: z.string().nullish(),
  panelURL: z.string().nullish(),
});

const GrafanaWebhook = z.object({
  orgId: z.number().nullish(),
  status: GroupStatus,
  alerts: z.array(GrafanaAlert).min(1),
});

// Grafana's legacy (pre-8) alerting webhook, still sent by many installs and their "Send Test"
// button: one rule per request, `state` instead of `status`.
const GrafanaLegacyWebhook = z.object({
  ruleName: z.string().min(1),
  ruleId: z.number().nullish(),
  state: z.enum(['alerting', 'ok', 'no_data', 'pending', 'paused']),
  title: z.string().nullish(),
  message: z.string().nullish(),
  ruleUrl: z.string().nullish(),
  orgId: z.number().nullish(),
  dashboardId: z.number().nullish(),
  panelId: z.number().nullish(),
  tags: z.record(z.string(), z.string()).nullish().catch(undefined),
  evalMatches: z
    .array(z.object({ value: z.number().nullish().catch(undefined), metric: z.string().nullish(), tags: z.record(z.string(), z.string()).nullish().catch(undefined) }))
    .nullish()
    .catch(undefined),
});

type AlertmanagerAlertData = z.infer<typeof AlertmanagerAlert>;
type GrafanaAlertData = z.infer<typeof GrafanaAlert>;

export function isWebhookWithAlerts(input: Record<string, unknown>): boolean {
  return Array.isArray(input['alerts']) || isGrafanaLegacy(input);
}

export function isGrafanaLegacy(input: Record<string, unknown>): boolean {
  return !('alerts' in input) && 'ruleName' in input && 'state' in input;
}

/** Grafana says `version: "1"` and `orgId`; its alerts carry `values` and panel links. */
export function looksLikeGrafana(input: Record<string, unknown>): boolean {
  if ('orgId' in input || input['version'] === '1' || isGrafanaLegacy(input)) return true;
  const alerts = input['alerts'];
  return (
    Array.isArray(alerts) &&
    alerts.some((a) => isRecord(a) && ('values' in a || 'dashboardURL' in a || 'panelURL' in a || 'valueString' in a))
  );
}

export function parseAlertmanagerWebhook(input: unknown): SourceParse {
  const parsed = AlertmanagerWebhook.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const group = parsed.data.status ?? null;
  return { ok: true, alerts: parsed.data.alerts.map((a) => promAlert('alertmanager', a, group, null, a.generatorURL ?? null)) };
}

export function parseGrafanaWebhook(input: unknown): SourceParse {
  if (isRecord(input) && isGrafanaLegacy(input)) return parseGrafanaLegacy(input);
  const parsed = GrafanaWebhook.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const group = parsed.data.status ?? null;
  return {
    ok: true,
    alerts: parsed.data.alerts.map((a) =>
      promAlert('grafana', a, group, grafanaValue(a), nonEmpty(a.panelURL) ?? nonEmpty(a.dashboardURL) ?? nonEmpty(a.generatorURL)),
    ),
  };
}

const LEGACY_STATES = { alerting: 'firing', ok: 'resolved', no_data: 'insufficient-data', pending: 'insufficient-data', paused: 'insufficient-data' } as const;

function parseGrafanaLegacy(input: unknown): SourceParse {
  const parsed = GrafanaLegacyWebhook.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const data = parsed.data;
  const labels: Record<string, string> = { alertname: data.ruleName, ...(data.tags ?? {}) };
  const annotations: Record<string, string> = {};
  if (nonEmpty(data.message)) annotations['message'] = data.message!;
  if (nonEmpty(data.title)) annotations['summary'] = data.title!;
  const state = LEGACY_STATES[data.state];
  const signal = signalOfLabels(data.ruleName, labels, null);
  const dimensions = dimensionsFromLabels(labels);
  const value = data.evalMatches?.find((m) => typeof m.value === 'number' && Number.isFinite(m.value))?.value ?? null;
  return {
    ok: true,
    alerts: [
      {
        source: 'grafana',
        kind: state === 'resolved' ? 'resolved' : state === 'firing' ? signal : 'other',
        signal,
        state,
        name: data.ruleName,
        key: `grafana-legacy:${data.orgId ?? 0}:${data.dashboardId ?? 0}:${data.panelId ?? 0}:${data.ruleId ?? data.ruleName}`,
        resources: resourcesOf(dimensions),
        dimensions,
        metrics: [],
        labels,
        annotations,
        service: null,
        value: finiteOrNull(annotations['value']) ?? value,
        threshold: finiteOrNull(labels['threshold']),
        // The legacy webhook carries no time: the moment it arrived.
        time: new Date().toISOString(),
        link: nonEmpty(data.ruleUrl),
        reason: nonEmpty(data.message) ?? nonEmpty(data.title) ?? '',
        suppressed: null,
      },
    ],
  };
}

function promAlert(
  source: AlertSource,
  data: AlertmanagerAlertData,
  groupStatus: 'firing' | 'resolved' | null,
  evaluatedValue: number | null,
  link: string | null,
): Alert {
  const labels = { ...data.labels };
  const annotations = { ...(data.annotations ?? {}) };
  const name = nonEmpty(labels['alertname']) ?? 'unnamed alert';
  const state = data.status ?? groupStatus ?? statusFromEnd(data.endsAt);
  const signal = signalOfLabels(name, labels, data.generatorURL ?? null);
  const dimensions = dimensionsFromLabels(labels);
  const started = toIsoTime(data.startsAt);
  const ended = toIsoTime(data.endsAt);
  return {
    source,
    kind: state === 'resolved' ? 'resolved' : signal,
    signal,
    state,
    name,
    key: nonEmpty(data.fingerprint) ?? `${source}:${name}:${labelKey(labels)}`,
    resources: resourcesOf(dimensions),
    dimensions,
    metrics: [],
    labels,
    annotations,
    service: null,
    // Rules often template the value/threshold into annotations; they win over guesses.
    value: finiteOrNull(annotations['value']) ?? finiteOrNull(annotations['current_value']) ?? evaluatedValue,
    threshold: finiteOrNull(annotations['threshold']) ?? finiteOrNull(labels['threshold']),
    time: (state === 'resolved' ? (ended ?? started) : started) ?? new Date().toISOString(),
    link: nonEmpty(link),
    reason: annotations['summary'] ?? annotations['description'] ?? annotations['message'] ?? '',
    suppressed: null,
  };
}

/** Without any status: an alert whose end lies in the past is resolved (Alertmanager's zero time is year 1). */
function statusFromEnd(endsAt: string | null | undefined): 'firing' | 'resolved' {
  const end = endsAt ? Date.parse(endsAt) : NaN;
  return Number.isFinite(end) && end > Date.UTC(2000, 0, 1) && end <= Date.now() ? 'resolved' : 'firing';
}

/**
 * Grafana's `values` maps each expression refId to its result. By convention the last refId
 * is the threshold condition (0/1), and the one before it the reduced query value.
 */
function grafanaValue(alert: GrafanaAlertData): number | null {
  const values = alert.values ?? {};
  const refIds = Object.keys(values).sort();
  const candidates = refIds.length > 1 ? refIds.slice(0, -1) : refIds;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const v = values[candidates[i]!];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  // Older Grafana: `[ var='B' labels={…} value=14151.33 ]`.
  const match = /value=(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(alert.valueString ?? '');
  return match ? finiteOrNull(match[1]) : null;
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}
