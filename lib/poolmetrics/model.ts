// The service's own database/sql (or pgxpool) pool, as its Prometheus metrics show it from inside
// one replica: how many connections are in use, idle, allowed, and how many callers waited.

/** Which exporter wrote the numbers: they name the same DBStats differently. */
export type PoolCollector = 'client_golang' | 'sqlstats' | 'otelsql' | 'pgxpool';

export interface PoolStats {
  collector: PoolCollector;
  /** The pool's own labels (`db_name=ledger`), or null when the exporter sets none. */
  pool: string | null;
  inUse: number | null;
  idle: number | null;
  open: number | null;
  /** SetMaxOpenConns / MaxConns; 0 in database/sql means unlimited. */
  max: number | null;
  /** Cumulative count of callers that had to wait for a connection (a counter). */
  waitCount: number | null;
  /** Cumulative time spent waiting, seconds (a counter), when the exporter has it. */
  waitSeconds: number | null;
}

export interface PoolScrape {
  /** When the page was read (epoch ms). */
  atMs: number;
  pools: PoolStats[];
}

/** One replica's pool: the first scrape, and a second one a moment later when time allowed. */
export interface PoolReading {
  first: PoolScrape;
  second: PoolScrape | null;
}

/** A replica's pool summed over its pools, with what two scrapes say about waiting callers. */
export interface PoolSummary {
  collector: PoolCollector;
  inUse: number | null;
  idle: number | null;
  max: number | null;
  /** Waits counted so far (latest scrape). */
  waits: number | null;
  /** New waits between the two scrapes; null with one scrape. */
  waitsGrew: number | null;
  /** Seconds between the two scrapes; null with one. */
  intervalSeconds: number | null;
  /** Some pool has every allowed connection in use. */
  full: boolean;
  /** New callers waited between the scrapes: the pool is starving them now. */
  starving: boolean;
}
