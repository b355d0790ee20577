// What a replica's pool readings mean: how full, and whether callers are waiting right now.
// Pure.
import type { PoolReading, PoolScrape, PoolStats, PoolSummary } from './model.ts';

const sum = (values: Array<number | null>): number | null => (values.some((v) => v !== null) ? values.reduce<number>((n, v) => n + (v ?? 0), 0) : null);

/** database/sql reports max 0 for "unlimited": never full then. */
function isFull(p: PoolStats): boolean {
  return p.max !== null && p.max > 0 && p.inUse !== null && p.inUse >= p.max;
}

/**
 * Worth a second look: some pool full, or callers have waited for a connection at some point.
 * A relaxed pool is not scraped twice (the second scrape costs the triage its interval).
 */
export function underPressure(scrape: PoolScrape): boolean {
  return scrape.pools.some((p) => isFull(p) || (p.waitCount ?? 0) > 0);
}

export function summarisePool(reading: PoolReading): PoolSummary | null {
  const latest = reading.second ?? reading.first;
  const pools = latest.pools;
  if (pools.length === 0) return null;
  let waitsGrew: number | null = null;
  if (reading.second) {
    // Pool by pool: a pool that appeared or vanished between the scrapes says nothing.
    const before = new Map(reading.first.pools.map((p) => [`${p.collector}\u0000${p.pool}`, p.waitCount]));
    waitsGrew = 0;
    for (const p of reading.second.pools) {
      const was = before.get(`${p.collector}\u0000${p.pool}`);
      if (was !== undefined && was !== null && p.waitCount !== null && p.waitCount > was) waitsGrew += p.waitCount - was;
    }
  }
  return {
    collector: pools[0]!.collector,
    inUse: sum(pools.map((p) => p.inUse)),
    idle: sum(pools.map((p) => p.idle)),
    max: sum(pools.map((p) => (p.max === 0 ? null : p.max))),
    waits: sum(pools.map((p) => p.waitCount)),
    waitsGrew,
    intervalSeconds: reading.second ? Math.round((reading.second.atMs - reading.first.atMs) / 100) / 10 : null,
    full: pools.some(isFull),
    starving: waitsGrew !== null && waitsGrew > 0,
  };
}
