// The replica's own pool, scraped from its Prometheus page beside its dump: the first scrape
// runs next to the dump read (same timeout, deadline and byte cap), the second a moment later
// for every replica that answered, so waits that grow in between show callers starving now.
import { DEFAULT_METRICS_PATH, type DumpLimits, type MetricsEndpoint } from '../catalog/index.ts';
import { parsePoolMetrics, underPressure, type PoolReading, type PoolScrape } from '../poolmetrics/index.ts';
import { describeError } from '../errors/index.ts';
import type { ReplicaDump } from './model.ts';
import { readText, type OpenedBody } from './stream.ts';

/** Opens a replica's metrics page, or resolves null when it serves none (404 and the like). */
export type MetricsOpener = (signal: AbortSignal) => Promise<OpenedBody | null>;

/** The metrics URL beside a dump URL: same origin (or the endpoint's port), the endpoint's path. */
export function metricsUrl(dumpUrl: URL, endpoint: MetricsEndpoint | undefined): URL | null {
  if (endpoint === null) return null;
  const url = new URL(dumpUrl);
  url.pathname = endpoint?.path ?? DEFAULT_METRICS_PATH;
  url.search = '';
  if (endpoint?.port) url.port = String(endpoint.port);
  return url;
}

const DEFAULT_INTERVAL_SECONDS = 1;

type ScrapeResult = { scrape: PoolScrape } | { scrape: null; problem: string | null };

async function scrapeOnce(open: MetricsOpener, maxBytes: number, signal: AbortSignal): Promise<ScrapeResult> {
  let body: OpenedBody | null = null;
  try {
    body = await open(signal);
    if (!body) return { scrape: null, problem: null };
    const { text, complete } = await readText(body, maxBytes, signal);
    if (!complete) return { scrape: null, problem: `metrics page over the ${maxBytes}-byte cap` };
    return { scrape: { atMs: Date.now(), pools: parsePoolMetrics(text) } };
  } catch (err) {
    return { scrape: null, problem: `could not read its metrics: ${describeError(err)}` };
  } finally {
    body?.close();
  }
}

const openers = new WeakMap<ReplicaDump, MetricsOpener>();

/**
 * Runs `readDump` and, beside it, the first scrape of the replica's pool under the same limits.
 * The opener is remembered for the second scrape.
 */
export async function withPoolScrape(
  open: MetricsOpener | undefined,
  limits: { timeoutMs: number; maxBytes: number; deadline: AbortSignal },
  readDump: () => Promise<ReplicaDump>,
): Promise<ReplicaDump> {
  if (!open) return readDump();
  const signal = AbortSignal.any([AbortSignal.timeout(limits.timeoutMs), limits.deadline]);
  const [dump, first] = await Promise.all([readDump(), scrapeOnce(open, limits.maxBytes, signal)]);
  if (first.scrape) {
    dump.pool = { first: first.scrape, second: null };
    openers.set(dump, open);
  } else if (first.problem) dump.poolProblem = first.problem;
  return dump;
}

/**
 * The second scrape of every replica whose first one worked and showed pressure (a full pool, or
 * waits so far), `metricsIntervalSeconds` after its first, as long as it can still finish before
 * `deadline` (epoch ms). At most `concurrency` at once. A replica left with one scrape simply has
 * no trend; a relaxed one costs the triage no interval.
 */
export async function rescrapePools(replicas: ReplicaDump[], limits: DumpLimits, deadline: number): Promise<void> {
  const intervalMs = (limits.metricsIntervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * 1000;
  if (intervalMs <= 0) return;
  const timeoutMs = Math.max(1, limits.timeoutSeconds * 1000);
  const due = replicas.filter((r) => r.pool && !r.pool.second && openers.has(r) && underPressure(r.pool.first));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < due.length) {
      const replica = due[next++]!;
      const reading = replica.pool as PoolReading;
      const at = reading.first.atMs + intervalMs;
      // Not worth starting if it would end after the deadline: one scrape is no harm.
      if (at + Math.min(timeoutMs, 500) > deadline) continue;
      const wait = at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const signal = AbortSignal.timeout(Math.max(1, Math.min(timeoutMs, deadline - Date.now())));
      const second = await scrapeOnce(openers.get(replica)!, limits.maxBytes, signal);
      if (second.scrape) reading.second = second.scrape;
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limits.concurrency), due.length) }, worker));
}
