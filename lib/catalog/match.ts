// Which services an alert concerns. A shared database's alarm concerns every service on it;
// one ALB alarm may concern several services behind it; no match means "unmapped", reported
// to the default channel rather than dropped.
import type { Alert, AlertSignal } from '../alerts/index.ts';
import type { Catalog, Service } from './model.ts';

export type MatchReason = 'name' | 'labels' | 'dimensions';

export interface ServiceMatch {
  service: Service;
  via: MatchReason[];
}

/** Every service the alert maps to, in catalog order, with what matched. */
export function matchAlert(catalog: Catalog, alert: Alert): ServiceMatch[] {
  const out: ServiceMatch[] = [];
  for (const service of catalog.services) {
    const via: MatchReason[] = [];
    if (service.alarms.names.some((pattern) => globMatch(pattern, alert.name))) via.push('name');
    if (labelsMatch(service.alarms.labels, alert.labels)) via.push('labels');
    if (dimensionsMatch(dimensionMatcher(service), alert.dimensions)) via.push('dimensions');
    if (via.length > 0) out.push({ service, via });
  }
  return out;
}

/** The services an alert maps to; empty means unmapped. */
export function servicesForAlert(catalog: Catalog, alert: Alert): Service[] {
  return matchAlert(catalog, alert).map((m) => m.service);
}

export interface AlertRoute {
  /** The alert with `service` (and, when the catalog forces it, `kind`/`signal`) filled in. */
  alert: Alert;
  /** Null for an unmapped alert. */
  service: Service | null;
  /** Where to report it: the service's channel, or the catalog's default channel. */
  channel: string;
}

/** One route per mapped service, or a single unmapped route to the default channel. */
export function routeAlert(catalog: Catalog, alert: Alert): AlertRoute[] {
  const matches = matchAlert(catalog, alert);
  if (matches.length === 0) {
    return [{ alert: { ...alert, service: null }, service: null, channel: catalog.defaults.slackChannel }];
  }
  return matches.map(({ service }) => ({
    alert: withSignal({ ...alert, service: service.name }, service.alarms.kind),
    service,
    channel: service.slackChannel,
  }));
}

function withSignal(alert: Alert, forced: AlertSignal | null): Alert {
  if (forced === null) return alert;
  const kind = alert.state === 'resolved' ? 'resolved' : alert.state === 'firing' ? forced : 'other';
  return { ...alert, signal: forced, kind };
}

/**
 * The service's dimension matcher: its explicit `alarms.dimensions` plus the CloudWatch
 * identities it already declares (database RDS id, load balancer).
 */
export function dimensionMatcher(service: Service): Record<string, string[]> {
  const matcher: Record<string, string[]> = {};
  const add = (key: string, value: string) => {
    const list = Object.hasOwn(matcher, key) ? matcher[key]! : [];
    if (!list.includes(value)) list.push(value);
    Object.defineProperty(matcher, key, { value: list, enumerable: true, writable: true, configurable: true });
  };
  for (const [key, values] of Object.entries(service.alarms.dimensions)) for (const v of values) add(key, v);
  const rds = service.database.rds;
  if (rds?.instance) add('DBInstanceIdentifier', rds.instance);
  if (rds?.cluster) add('DBClusterIdentifier', rds.cluster);
  if (service.loadBalancer) add('LoadBalancer', service.loadBalancer);
  return matcher;
}

/**
 * Matches when the alert shares at least one listed dimension and every shared dimension
 * agrees. So an ALB-wide alarm reaches every service on that ALB, while a target-group alarm
 * (LoadBalancer + TargetGroup) reaches only the service whose target group it names.
 */
export function dimensionsMatch(matcher: Record<string, string[]>, dimensions: Record<string, string>): boolean {
  let shared = 0;
  for (const [key, accepted] of Object.entries(matcher)) {
    if (!Object.hasOwn(dimensions, key)) continue;
    shared++;
    if (!accepted.includes(dimensions[key]!)) return false;
  }
  return shared > 0;
}

/** Every listed label must be present with an accepted value; an empty matcher matches nothing. */
export function labelsMatch(matcher: Record<string, string[]>, labels: Record<string, string>): boolean {
  const entries = Object.entries(matcher);
  if (entries.length === 0) return false;
  return entries.every(([key, accepted]) => Object.hasOwn(labels, key) && accepted.includes(labels[key]!));
}

/** `*` matches any run of characters; everything else is literal and case-sensitive. */
export function globMatch(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!name.startsWith(first) || name.length < first.length + last.length || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = name.indexOf(middle, at);
    if (found === -1 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}
