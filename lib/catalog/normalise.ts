// Validated file → Catalog: defaults applied, database references resolved, every "one of"
// block turned into a tagged union.
import type { CatalogFile, DatabaseEntry, ServiceEntry } from './schema.ts';
import type {
  AlarmMapping,
  Catalog,
  CatalogDefaults,
  Database,
  DatabaseUrlSource,
  DumpSource,
  MetricsEndpoint,
  RestartTarget,
  Service,
} from './model.ts';

export function buildCatalog(file: CatalogFile, filename: string): Catalog {
  const defaults: CatalogDefaults = {
    deadlineSeconds: file.defaults.deadlineSeconds,
    slackChannel: file.defaults.slackChannel,
    dumps: { ...file.defaults.dumps },
    twoPersonRule: file.defaults.twoPersonRule,
    approvalTtlMinutes: file.defaults.approvalTtlMinutes,
    region: file.defaults.region ?? null,
    watch: { ...file.defaults.watch },
  };
  const shared = new Map<string, Database>(
    Object.entries(file.databases).map(([id, entry]) => [id, buildDatabase(id, entry)]),
  );
  const services = file.services.map((entry) => buildService(entry, shared, defaults));
  const databases = [...new Set(services.map((s) => s.database))];
  return { file: filename, defaults, databases, services };
}

function urlSourceOf(entry: DatabaseEntry['url']): DatabaseUrlSource {
  if (entry.env !== undefined) return { kind: 'env', name: entry.env };
  if (entry.secret !== undefined) return { kind: 'secret', ref: entry.secret };
  return { kind: 'inline', value: entry.inline ?? '', demoOnly: true };
}

function buildDatabase(id: string, entry: DatabaseEntry): Database {
  const url = urlSourceOf(entry.url);
  return {
    id,
    engine: entry.engine,
    url,
    rds: entry.rds?.instance
      ? { instance: entry.rds.instance, cluster: null }
      : entry.rds?.cluster
        ? { instance: null, cluster: entry.rds.cluster }
        : null,
    maxConnections: entry.maxConnections ?? null,
    ...(entry.pgbouncer ? { pgbouncer: { admin: urlSourceOf(entry.pgbouncer.admin) } } : {}),
    ...(entry.rdsProxy ? { rdsProxy: { name: entry.rdsProxy.name, targetGroup: entry.rdsProxy.targetGroup } } : {}),
  };
}

function buildService(entry: ServiceEntry, shared: Map<string, Database>, defaults: CatalogDefaults): Service {
  // The schema already rejected unknown references.
  const database = typeof entry.database === 'string' ? shared.get(entry.database)! : buildDatabase(entry.name, entry.database);
  return {
    name: entry.name,
    description: entry.description ?? null,
    applicationNames: entry.applicationName ?? [entry.name],
    database,
    loadBalancer: entry.loadBalancer ?? null,
    dumps: { debug: entry.dumps?.debug ?? 1, sources: (entry.dumps?.sources ?? []).map(buildDumpSource) },
    restart: entry.restart ? buildRestart(entry.restart) : null,
    slackChannel: entry.slackChannel ?? defaults.slackChannel,
    approvers: { users: entry.approvers?.users ?? [], usergroup: entry.approvers?.usergroup ?? null },
    twoPersonRule: entry.twoPersonRule ?? defaults.twoPersonRule,
    approvalTtlMinutes: entry.approvalTtlMinutes ?? defaults.approvalTtlMinutes,
    alarms: buildAlarms(entry.alarms),
    watch: {
      enabled: entry.watch !== false,
      horizonHours: typeof entry.watch === 'object' ? (entry.watch.horizonHours ?? null) : null,
    },
  };
}

type DumpSourceEntry = NonNullable<ServiceEntry['dumps']>['sources'][number];

/** Only what the file says: absent stays absent (the default endpoint, /metrics on the pprof port). */
function metricsOf(entry: { path: string; port?: number } | false | undefined): { metrics?: MetricsEndpoint } {
  if (entry === undefined) return {};
  return { metrics: entry === false ? null : { path: entry.path, port: entry.port ?? null } };
}

function buildDumpSource(entry: DumpSourceEntry): DumpSource {
  if (entry.http) return { type: 'http', urls: entry.http.urls, ...metricsOf(entry.http.metrics) };
  if (entry.kubernetes) {
    const { metrics, ...k } = entry.kubernetes;
    return { type: 'kubernetes', ...k, ...metricsOf(metrics) };
  }
  if (entry.ecs) {
    const { metrics, ...e } = entry.ecs;
    return { type: 'ecs', ...e, region: e.region ?? null, ...metricsOf(metrics) };
  }
  const s3 = entry.s3!;
  return { type: 's3', bucket: s3.bucket, prefix: s3.prefix, region: s3.region ?? null };
}

function buildRestart(entry: NonNullable<ServiceEntry['restart']>): RestartTarget {
  if (entry.kubernetes) return { type: 'kubernetes', ...entry.kubernetes };
  if (entry.ecs) return { type: 'ecs', cluster: entry.ecs.cluster, service: entry.ecs.service, region: entry.ecs.region ?? null };
  const command = entry.command!;
  return { type: 'command', argv: command.argv, timeoutSeconds: command.timeoutSeconds };
}

function buildAlarms(entry: ServiceEntry['alarms']): AlarmMapping {
  return {
    names: entry?.names ?? [],
    dimensions: { ...(entry?.dimensions ?? {}) },
    labels: { ...(entry?.labels ?? {}) },
    kind: entry?.kind ?? null,
  };
}
