// Prometheus text → pool stats. The text is parsed by a maintained parser from npm
// (parse-prometheus-text-format, the prom2json output shape); its output is outside input and
// is validated with zod before use. Only the pool families are handed to the parser: a page's
// other lines (runtime metrics, OpenMetrics extras it does not know) can neither fail nor slow it.
import parsePrometheusText from 'parse-prometheus-text-format';
import { z } from 'zod';
import type { PoolCollector, PoolStats } from './model.ts';

export class MetricsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsFormatError';
  }
}

const sampleSchema = z.object({
  value: z.string().max(64).optional(),
  labels: z.record(z.string().max(200), z.string().max(1000)).optional(),
});
const familySchema = z.object({
  name: z.string().max(200),
  type: z.string().max(20),
  metrics: z.array(sampleSchema).max(10_000),
});
const pageSchema = z.array(familySchema).max(1_000);

type Field = Exclude<keyof PoolStats, 'collector' | 'pool'>;
interface Mapping {
  field: Field;
  /** otelsql puts in-use and idle in one family, told apart by a label. */
  status?: string;
  /** Multiplier to seconds. */
  scale?: number;
}

// Family name → what it holds, per exporter. Names as each exporter writes them.
const FAMILIES: Record<string, { collector: PoolCollector; map: Mapping[] }> = {
  // client_golang prometheus/collectors.NewDBStatsCollector
  go_sql_in_use_connections: { collector: 'client_golang', map: [{ field: 'inUse' }] },
  go_sql_idle_connections: { collector: 'client_golang', map: [{ field: 'idle' }] },
  go_sql_open_connections: { collector: 'client_golang', map: [{ field: 'open' }] },
  go_sql_max_open_connections: { collector: 'client_golang', map: [{ field: 'max' }] },
  go_sql_wait_count_total: { collector: 'client_golang', map: [{ field: 'waitCount' }] },
  go_sql_wait_duration_seconds_total: { collector: 'client_golang', map: [{ field: 'waitSeconds' }] },
  // github.com/dlmiddlecote/sqlstats
  go_sql_stats_connections_in_use: { collector: 'sqlstats', map: [{ field: 'inUse' }] },
  go_sql_stats_connections_idle: { collector: 'sqlstats', map: [{ field: 'idle' }] },
  go_sql_stats_connections_open: { collector: 'sqlstats', map: [{ field: 'open' }] },
  go_sql_stats_connections_max_open: { collector: 'sqlstats', map: [{ field: 'max' }] },
  go_sql_stats_connections_waited_for: { collector: 'sqlstats', map: [{ field: 'waitCount' }] },
  go_sql_stats_connections_blocked_seconds: { collector: 'sqlstats', map: [{ field: 'waitSeconds' }] },
  go_sql_stats_connections_blocked_time: { collector: 'sqlstats', map: [{ field: 'waitSeconds' }] },
  // otelsql (XSAM) through the OpenTelemetry Prometheus exporter
  db_sql_connection_open: { collector: 'otelsql', map: [{ field: 'inUse', status: 'inuse' }, { field: 'idle', status: 'idle' }] },
  db_sql_connection_max_open: { collector: 'otelsql', map: [{ field: 'max' }] },
  db_sql_connection_wait_total: { collector: 'otelsql', map: [{ field: 'waitCount' }] },
  db_sql_connection_wait_duration_milliseconds_total: { collector: 'otelsql', map: [{ field: 'waitSeconds', scale: 0.001 }] },
  // pgxpool collectors (IBM/pgxpoolprometheus and look-alikes)
  pgxpool_acquired_conns: { collector: 'pgxpool', map: [{ field: 'inUse' }] },
  pgxpool_idle_conns: { collector: 'pgxpool', map: [{ field: 'idle' }] },
  pgxpool_total_conns: { collector: 'pgxpool', map: [{ field: 'open' }] },
  pgxpool_max_conns: { collector: 'pgxpool', map: [{ field: 'max' }] },
  pgxpool_empty_acquire: { collector: 'pgxpool', map: [{ field: 'waitCount' }] },
  pgxpool_empty_acquire_count: { collector: 'pgxpool', map: [{ field: 'waitCount' }] },
  pgxpool_empty_acquire_total: { collector: 'pgxpool', map: [{ field: 'waitCount' }] },
};

const PREFIXES = ['go_sql_', 'db_sql_connection_', 'pgxpool_'];

/** The lines that belong to pool families: their samples and their # HELP / # TYPE lines. */
function poolLines(text: string): string {
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    const body = line.startsWith('# HELP ') || line.startsWith('# TYPE ') ? line.slice(7) : line;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(body)?.[0];
    if (name && name in FAMILIES && PREFIXES.some((p) => name.startsWith(p))) kept.push(line.trimEnd());
  }
  return kept.join('\n') + '\n';
}

function poolKey(labels: Record<string, string> | undefined): string | null {
  const entries = Object.entries(labels ?? {}).filter(([k]) => k !== 'status');
  return entries.length ? entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',') : null;
}

/**
 * The pools a metrics page describes, one entry per exporter and label set. An empty list means
 * the page has no pool metrics (an exporter not installed): not an error.
 * Throws MetricsFormatError when the pool lines are not Prometheus text.
 */
export function parsePoolMetrics(text: string): PoolStats[] {
  let raw: unknown;
  try {
    raw = parsePrometheusText(poolLines(text));
  } catch (err) {
    throw new MetricsFormatError(`not Prometheus text format (${(err as Error).message.slice(0, 120)})`);
  }
  const page = pageSchema.safeParse(raw);
  if (!page.success) throw new MetricsFormatError('the metrics parser returned an unexpected shape');
  const pools = new Map<string, PoolStats>();
  for (const family of page.data) {
    const known = FAMILIES[family.name];
    if (!known) continue;
    for (const sample of family.metrics) {
      const value = sample.value === undefined ? NaN : Number(sample.value);
      if (!Number.isFinite(value)) continue;
      const key = `${known.collector}\u0000${poolKey(sample.labels) ?? ''}`;
      const stats = pools.get(key) ?? emptyStats(known.collector, poolKey(sample.labels));
      for (const m of known.map) {
        if (m.status !== undefined && sample.labels?.status !== m.status) continue;
        stats[m.field] = (stats[m.field] ?? 0) + value * (m.scale ?? 1);
      }
      pools.set(key, stats);
    }
  }
  return [...pools.values()];
}

function emptyStats(collector: PoolCollector, pool: string | null): PoolStats {
  return { collector, pool, inUse: null, idle: null, open: null, max: null, waitCount: null, waitSeconds: null };
}
