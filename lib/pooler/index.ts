// Public surface of the poolers: PgBouncer (admin console, join through it) and RDS Proxy.
export type * from './model.ts';
export { readPgBouncer, parseConnectTime } from './pgbouncer-admin.ts';
export { seeThroughPgBouncer, POOLER_IDLE_APPLICATION, type SeenThrough } from './join.ts';
export { pgbouncerSection } from './section.ts';
export { fetchProxyMetrics, judgeProxy, proxyMetricQueries, type ProxyMetricsOptions } from './rds-proxy.ts';
export { readPoolers, type PoolerDeps, type PoolerReadings } from './read.ts';
