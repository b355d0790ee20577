// The four exporters Go services use for database/sql (and pgxpool) pool stats, as their pages
// look, through the npm parser; and what two scrapes say.
import { describe, expect, it } from 'vitest';
import { MetricsFormatError, parsePoolMetrics, summarisePool, underPressure, type PoolScrape } from '../../lib/poolmetrics/index.ts';

const CLIENT_GOLANG = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
# HELP go_sql_idle_connections The number of idle connections.
# TYPE go_sql_idle_connections gauge
go_sql_idle_connections{db_name="billing"} 0
# TYPE go_sql_in_use_connections gauge
go_sql_in_use_connections{db_name="billing"} 10
# TYPE go_sql_max_open_connections gauge
go_sql_max_open_connections{db_name="billing"} 10
# TYPE go_sql_open_connections gauge
go_sql_open_connections{db_name="billing"} 10
# TYPE go_sql_wait_count_total counter
go_sql_wait_count_total{db_name="billing"} 17
# TYPE go_sql_wait_duration_seconds_total counter
go_sql_wait_duration_seconds_total{db_name="billing"} 3.5
`;
const SQLSTATS = `go_sql_stats_connections_max_open{db_name="ledger"} 20
go_sql_stats_connections_open{db_name="ledger"} 7
go_sql_stats_connections_in_use{db_name="ledger"} 5
go_sql_stats_connections_idle{db_name="ledger"} 2
go_sql_stats_connections_waited_for{db_name="ledger"} 4
go_sql_stats_connections_blocked_seconds{db_name="ledger"} 0.25
`;
const OTELSQL = `# TYPE db_sql_connection_open gauge
db_sql_connection_open{db_system="postgresql",status="idle"} 1
db_sql_connection_open{db_system="postgresql",status="inuse"} 9
db_sql_connection_max_open{db_system="postgresql"} 10
db_sql_connection_wait_total{db_system="postgresql"} 3
db_sql_connection_wait_duration_milliseconds_total{db_system="postgresql"} 1500
# EOF
`;
const PGXPOOL = `pgxpool_acquired_conns 8
pgxpool_idle_conns 0
pgxpool_total_conns 8
pgxpool_max_conns 8
pgxpool_empty_acquire 12
pgxpool_acquire_count 900
`;

describe('parsePoolMetrics', () => {
  it('reads client_golang, sqlstats, otelsql and pgxpool pages, and nothing else', () => {
    expect(parsePoolMetrics(CLIENT_GOLANG)).toEqual([
      { collector: 'client_golang', pool: 'db_name=billing', inUse: 10, idle: 0, open: 10, max: 10, waitCount: 17, waitSeconds: 3.5 },
    ]);
    expect(parsePoolMetrics(SQLSTATS)).toEqual([{ collector: 'sqlstats', pool: 'db_name=ledger', inUse: 5, idle: 2, open: 7, max: 20, waitCount: 4, waitSeconds: 0.25 }]);
    expect(parsePoolMetrics(OTELSQL)).toEqual([
      { collector: 'otelsql', pool: 'db_system=postgresql', inUse: 9, idle: 1, open: null, max: 10, waitCount: 3, waitSeconds: 1.5 },
    ]);
    expect(parsePoolMetrics(PGXPOOL)).toEqual([{ collector: 'pgxpool', pool: null, inUse: 8, idle: 0, open: 8, max: 8, waitCount: 12, waitSeconds: null }]);
    expect(parsePoolMetrics('go_goroutines 3\nhttp_requests_total{code="200"} 5\n')).toEqual([]);
  });

  it('refuses pool lines that are not Prometheus text, whatever else the page holds', () => {
    expect(() => parsePoolMetrics('go_sql_in_use_connections{db_name="x" 3\n')).toThrow(MetricsFormatError);
    expect(parsePoolMetrics('<html>not metrics</html>')).toEqual([]);
  });
});

describe('summarisePool', () => {
  const scrape = (atMs: number, waits: number, inUse = 10): PoolScrape => ({ atMs, pools: parsePoolMetrics(CLIENT_GOLANG.replace(' 17', ` ${waits}`).replace('connections{db_name="billing"} 10\n# TYPE go_sql_max', `connections{db_name="billing"} ${inUse}\n# TYPE go_sql_max`)) });

  it('a full pool whose waits grew between the scrapes is starving', () => {
    expect(summarisePool({ first: scrape(0, 17), second: scrape(1000, 21) })).toMatchObject({ full: true, starving: true, waits: 21, waitsGrew: 4, intervalSeconds: 1 });
  });
  it('waits that did not grow are history, not starvation; one scrape has no trend', () => {
    expect(summarisePool({ first: scrape(0, 17, 3), second: scrape(1000, 17, 3) })).toMatchObject({ full: false, starving: false, waitsGrew: 0 });
    expect(summarisePool({ first: scrape(0, 17), second: null })).toMatchObject({ full: true, starving: false, waitsGrew: null, intervalSeconds: null });
  });
  it('only a pool under pressure (full, or callers that have waited) is worth the second scrape', () => {
    expect(underPressure(scrape(0, 17, 3))).toBe(true); // waits so far
    expect(underPressure(scrape(0, 0, 10))).toBe(true); // full
    expect(underPressure(scrape(0, 0, 3))).toBe(false); // relaxed: the triage does not wait the interval
  });
  it('database/sql\'s max 0 is unlimited: never full', () => {
    expect(summarisePool({ first: { atMs: 0, pools: parsePoolMetrics('go_sql_in_use_connections 50\ngo_sql_max_open_connections 0\n') }, second: null })).toMatchObject({ full: false, max: null });
  });
});
