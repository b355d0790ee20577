// Reads the poolers the catalog names for a service's database, beside the sessions and under
// the same deadline: PgBouncer's admin console (its URL resolved like a database URL: a secret)
// and RDS Proxy's CloudWatch metrics. What cannot be read is a named gap, never an exception.
import { resolveDatabaseUrl, type Env, type SecretReader, type Service } from '../catalog/index.ts';
import type { CloudWatchLike } from '../metrics/index.ts';
import type { PgBouncerRead, RdsProxySection } from './model.ts';
import { readPgBouncer } from './pgbouncer-admin.ts';
import { fetchProxyMetrics } from './rds-proxy.ts';

export interface PoolerDeps {
  env: Env;
  readSecret?: SecretReader;
  cloudwatch?: CloudWatchLike | null;
}

export interface PoolerReadings {
  pgbouncer: PgBouncerRead | null;
  rdsProxy: RdsProxySection | null;
  gaps: Array<{ target: string; reason: string; remedy?: string }>;
}

export async function readPoolers(service: Service, deps: PoolerDeps, deadline: number): Promise<PoolerReadings> {
  const left = () => Math.max(100, deadline - Date.now() - 100);
  const out: PoolerReadings = { pgbouncer: null, rdsProxy: null, gaps: [] };
  const db = service.database;
  await Promise.all([
    (async () => {
      if (!db.pgbouncer) return;
      // The admin URL is a secret like the database's: resolved the same way, never printed.
      const url = await resolveDatabaseUrl({ ...db, id: `${db.id} (PgBouncer admin console)`, url: db.pgbouncer.admin }, deps.env, {
        readSecret: deps.readSecret,
        timeoutMs: Math.min(3000, left()),
      });
      if (!url.ok) {
        out.gaps.push({ target: 'PgBouncer', reason: url.error });
        return;
      }
      try {
        out.pgbouncer = await readPgBouncer(url.url, { timeoutMs: left() });
      } catch (err) {
        out.gaps.push({
          target: 'PgBouncer',
          reason: `could not read the admin console: ${(err as Error).message}`,
          remedy: 'list the bot\'s user under stats_users in pgbouncer.ini (read-only SHOW commands) and check the admin URL',
        });
      }
    })(),
    (async () => {
      if (!db.rdsProxy) return;
      if (!deps.cloudwatch) {
        out.gaps.push({ target: `RDS Proxy ${db.rdsProxy.name}`, reason: 'no CloudWatch access in this run (local)' });
        return;
      }
      const r = await fetchProxyMetrics(deps.cloudwatch, { name: db.rdsProxy.name, targetGroup: db.rdsProxy.targetGroup, timeoutMs: left() });
      out.rdsProxy = r.section;
      for (const reason of r.gaps) out.gaps.push({ target: `RDS Proxy ${db.rdsProxy.name}`, reason });
    })(),
  ]);
  return out;
}
