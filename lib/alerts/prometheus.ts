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
  status: z.enum(['firing', 'resolved']),
  labels: StringMap,
  annotations: StringMap.nullish(),
  startsAt: z.string(),
  endsAt: z.string().nullish(),
  generatorURL: z.string().nullish(),
  fingerprint: z.string().nullish(),
});

const AlertmanagerWebhook = z.object({
  version: z.string().nullish(),
  status: z.string().nullish(),
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
  status: z.string().nullish(),
  alerts: z.array(GrafanaAlert).min(1),
});

type AlertmanagerAlertData = z.infer<typeof AlertmanagerAlert>;
type GrafanaAlertData = z.infer<typeof GrafanaAlert>;

export function isWebhookWithAlerts(input: Record<string, unknown>): boolean {
  return Array.isArray(input['alerts']);
}

/** Grafana says `version: "1"` and `orgId`; its alerts carry `values` and panel links. */
export function looksLikeGrafana(input: Record<string, unknown>): boolean {
  if ('orgId' in input || input['version'] === '1') return true;
  const alerts = input['alerts'];
  return (
    Array.isArray(alerts) &&
    alerts.some((a) => isRecord(a) && ('values' in a || 'dashboardURL' in a || 'panelURL' in a || 'valueString' in a))
  );
}

export function parseAlertmanagerWebhook(input: unknown): SourceParse {
  const parsed = AlertmanagerWebhook.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  return { ok: true, alerts: parsed.data.alerts.map((a) => promAlert('alertmanager', a, null, a.generatorURL ?? null)) };
}

export function parseGrafanaWebhook(input: unknown): SourceParse {
  const parsed = GrafanaWebhook.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  return {
    ok: true,
    alerts: parsed.data.alerts.map((a) =>
      promAlert('grafana', a, grafanaValue(a), nonEmpty(a.panelURL) ?? nonEmpty(a.dashboardURL) ?? nonEmpty(a.generatorURL)),
    ),
  };
}

function promAlert(
  source: AlertSource,
  data: AlertmanagerAlertData,
  evaluatedValue: number | null,
  link: string | null,
): Alert {
  const labels = { ...data.labels };
  const annotations = { ...(data.annotations ?? {}) };
  const name = nonEmpty(labels['alertname']) ?? 'unnamed alert';
  const state = data.status;
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
  };
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
