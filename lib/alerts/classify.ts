// What an alert is about: its signal (kind while firing) and the AWS resources it names.
// Pure lookups over metric names, dimensions, labels and the rule name.
import type { AlertMetric, AlertResource, AlertSignal, ResourceType } from './model.ts';

const ELB_5XX_METRICS = new Set([
  'HTTPCode_ELB_5XX_Count',
  'HTTPCode_ELB_502_Count',
  'HTTPCode_ELB_503_Count',
  'HTTPCode_ELB_504_Count',
  'HTTPCode_Target_5XX_Count',
]);

export function signalOfMetric(namespace: string, name: string): AlertSignal {
  if (namespace === 'AWS/RDS' && name === 'DatabaseConnections') return 'db-connections-high';
  if (namespace === 'AWS/ApplicationELB' && ELB_5XX_METRICS.has(name)) return 'lb-5xx';
  return 'other';
}

/** The first metric that means something to Leakhound decides; metric math may mix several. */
export function signalOfMetrics(metrics: readonly AlertMetric[]): AlertSignal {
  for (const metric of metrics) {
    const signal = signalOfMetric(metric.namespace, metric.name);
    if (signal !== 'other') return signal;
  }
  return 'other';
}

// Prometheus-side names of "connections in use" and "load balancer 5xx". Matched against the
// alert name, label values and the rule expression carried in the generator URL.
const DB_CONNECTION_PATTERNS = [
  /pg_stat_activity_count/i,
  /pg_stat_database_numbackends/i,
  /mysql_global_status_threads_connected/i,
  /mysql_global_status_max_used_connections/i,
  /aws_rds_database_connections/i,
  /go_sql_(stats_)?(open|in_use)_connections/i,
  /databaseconnections/i,
  /connections/i,
];
const LB_5XX_PATTERNS = [/5_?xx/i, /(?<!\d)50[234](?!\d)/, /httpcode_(elb|target)_5/i];

const SIGNAL_OVERRIDE_LABELS = ['leakhound_kind', 'leakhound_signal'];

/**
 * Infer the signal of an Alertmanager/Grafana alert. An explicit `leakhound_kind` label wins;
 * the catalog may still override it per service (`alarms.kind`).
 */
export function signalOfLabels(
  name: string,
  labels: Record<string, string>,
  generatorUrl: string | null,
): AlertSignal {
  for (const key of SIGNAL_OVERRIDE_LABELS) {
    const explicit = labels[key];
    if (explicit === 'db-connections-high' || explicit === 'lb-5xx' || explicit === 'other') return explicit;
  }
  const haystack = [name, labels['__name__'] ?? '', labels['metric'] ?? '', decodeExpr(generatorUrl)];
  if (DB_CONNECTION_PATTERNS.some((re) => haystack.some((text) => re.test(text)))) return 'db-connections-high';
  if (LB_5XX_PATTERNS.some((re) => haystack.some((text) => re.test(text)))) return 'lb-5xx';
  return 'other';
}

/** Prometheus generator URLs carry the rule expression as `g0.expr=`; decode it for matching. */
function decodeExpr(url: string | null): string {
  if (url === null) return '';
  try {
    const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const params = new URLSearchParams(query);
    const exprs: string[] = [];
    for (const [key, value] of params) if (key.endsWith('.expr') || key === 'expr') exprs.push(value);
    return exprs.join(' ');
  } catch {
    return '';
  }
}

const RESOURCE_DIMENSIONS: Record<string, ResourceType> = {
  DBInstanceIdentifier: 'rds-instance',
  DBClusterIdentifier: 'rds-cluster',
  LoadBalancer: 'load-balancer',
  TargetGroup: 'target-group',
};

export function resourcesOf(dimensions: Record<string, string>): AlertResource[] {
  const out: AlertResource[] = [];
  for (const [name, id] of Object.entries(dimensions)) {
    const type = RESOURCE_DIMENSIONS[name];
    if (type !== undefined && Object.hasOwn(RESOURCE_DIMENSIONS, name)) out.push({ type, id });
  }
  return out;
}

// CloudWatch exporters for Prometheus expose dimensions as labels: YACE as `dimension_<Name>`,
// the official cloudwatch_exporter in snake case. Recover them so catalog dimension mapping works.
const SNAKE_DIMENSIONS: Record<string, string> = {
  dbinstance_identifier: 'DBInstanceIdentifier',
  dbcluster_identifier: 'DBClusterIdentifier',
  load_balancer: 'LoadBalancer',
  target_group: 'TargetGroup',
};

export function dimensionsFromLabels(labels: Record<string, string>): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (value === '') continue;
    if (key.startsWith('dimension_') && key.length > 'dimension_'.length) entries.push([key.slice('dimension_'.length), value]);
    else if (Object.hasOwn(SNAKE_DIMENSIONS, key)) entries.push([SNAKE_DIMENSIONS[key]!, value]);
    else if (Object.hasOwn(RESOURCE_DIMENSIONS, key)) entries.push([key, value]);
  }
  return Object.fromEntries(entries);
}

/** Merge dimension maps; the first metric's value wins on a clash. */
export function mergeDimensions(maps: readonly Record<string, string>[]): Record<string, string> {
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (const map of maps) {
    for (const [key, value] of Object.entries(map)) {
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push([key, value]);
    }
  }
  return Object.fromEntries(entries);
}
