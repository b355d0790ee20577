// The validated, normalised service catalog. Defaults are applied and references resolved, so
// consumers never look at the raw file or fall back to defaults themselves.
import type { AlertSignal } from '../alerts/index.ts';
import type { RestartTarget } from './restart-target.ts';

export type DatabaseEngine = 'postgres' | 'mysql';

/** Where the connection string comes from. Never the string itself, except for local demos. */
export type DatabaseUrlSource =
  | { kind: 'env'; name: string }
  | { kind: 'secret'; ref: string }
  | { kind: 'inline'; value: string; demoOnly: true };

export type RdsIdentity = { instance: string; cluster: null } | { instance: null; cluster: string };

export interface Database {
  /** The key under top-level `databases`, or the service name for a database written inline. */
  id: string;
  engine: DatabaseEngine;
  url: DatabaseUrlSource;
  /** CloudWatch identity (`DBInstanceIdentifier`/`DBClusterIdentifier`) for metrics and alarm mapping. */
  rds: RdsIdentity | null;
  /** Known capacity, when reading it from the database is not possible. */
  maxConnections: number | null;
  /** PgBouncer in front of it: where its admin console's URL comes from (a secret like the database's). */
  pgbouncer?: { admin: DatabaseUrlSource } | null;
  /** RDS Proxy in front of it: CloudWatch `ProxyName` and target group. */
  rdsProxy?: { name: string; targetGroup: string } | null;
}

export type DumpDebugLevel = 0 | 1 | 2;

/** Where a replica serves its Prometheus metrics (database/sql pool stats); null: not scraped; absent: the default (/metrics on the pprof port). */
export type MetricsEndpoint = { path: string; port: number | null } | null;

export type DumpSource =
  | { type: 'http'; urls: string[]; metrics?: MetricsEndpoint }
  | { type: 'kubernetes'; namespace: string; selector: string; port: number | string; scheme: 'http' | 'https'; path: string; metrics?: MetricsEndpoint }
  | { type: 'ecs'; cluster: string; service: string; port: number; scheme: 'http' | 'https'; path: string; region: string | null; metrics?: MetricsEndpoint }
  | { type: 's3'; bucket: string; prefix: string; region: string | null };

export interface DumpSettings {
  /** `debug=1` is tiny and carries labels; 2 adds wait ages but stops the world in the target. */
  debug: DumpDebugLevel;
  sources: DumpSource[];
}

export type { RestartTarget } from './restart-target.ts';

export interface Approvers {
  /** Slack user IDs (`U…`/`W…`). */
  users: string[];
  /** Slack user group ID (`S…`) whose members may also approve. */
  usergroup: string | null;
}

export interface AlarmMapping {
  /** Alarm or alert-rule names; `*` matches any run of characters. */
  names: string[];
  /** Dimension → accepted values. Database and load-balancer identities are added implicitly. */
  dimensions: Record<string, string[]>;
  /** Alertmanager/Grafana label → accepted values; every listed label must match. */
  labels: Record<string, string[]>;
  /** Forces the signal of alerts mapped here (for rules whose name says nothing). */
  kind: AlertSignal | null;
}

export interface Service {
  name: string;
  description: string | null;
  /**
   * The application_name values its database connections carry (catalog `applicationName`,
   * default the service name). A session naming any other application is never the service's.
   */
  applicationNames: string[];
  database: Database;
  /** CloudWatch `LoadBalancer` dimension (`app/<name>/<id>`) of the ALB in front of the service. */
  loadBalancer: string | null;
  dumps: DumpSettings;
  restart: RestartTarget | null;
  slackChannel: string;
  approvers: Approvers;
  twoPersonRule: boolean;
  approvalTtlMinutes: number;
  alarms: AlarmMapping;
  /** The early-warning watch for this service; absent = on, with the defaults' horizon. */
  watch?: { enabled: boolean; horizonHours: number | null };
}

export interface WatchDefaults {
  /** Warn when the projection reaches exhaustion within this many hours. */
  horizonHours: number;
  /** History the trend is computed over. */
  windowHours: number;
  /** Samples the trend needs before it may speak. */
  minPoints: number;
  /** How long after a restart the service is watched for the leak coming back. */
  regressionHours: number;
  /** Services read at once. */
  concurrency: number;
  /** The whole fleet's run; what is not read by then is reported as skipped. */
  deadlineSeconds: number;
}

export interface DumpLimits {
  concurrency: number;
  timeoutSeconds: number;
  maxBytes: number;
  /** Seconds between the two pool-metrics scrapes of a replica; 0 (or absent): one scrape. */
  metricsIntervalSeconds?: number;
}

export interface CatalogDefaults {
  /** Overall triage deadline. */
  deadlineSeconds: number;
  /** Where alerts that map to no service are reported. */
  slackChannel: string;
  dumps: DumpLimits;
  twoPersonRule: boolean;
  approvalTtlMinutes: number;
  /** AWS region for CloudWatch/ECS/S3 calls; null = the SDK's own default. */
  region: string | null;
  /** The watch's settings; absent in catalogs built by hand (tests): lib/watch's defaults. */
  watch?: WatchDefaults;
}

export interface Catalog {
  /** The file it was read from (for messages). */
  file: string;
  defaults: CatalogDefaults;
  /** Every distinct database, shared ones once. */
  databases: Database[];
  services: Service[];
}

export interface CatalogIssue {
  path: string;
  message: string;
  /** 1-based line in the file, when the field could be located. */
  line: number | null;
}

export type CatalogResult = { ok: true; catalog: Catalog } | { ok: false; error: CatalogError };

/** An invalid catalog: every problem, each naming the file, line, field path and what is wrong. */
export class CatalogError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly CatalogIssue[],
  ) {
    super(issues.map((i) => `${file}${i.line === null ? '' : `:${i.line}`}: ${i.path}: ${i.message}`).join('\n'));
    this.name = 'CatalogError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;
