// What the early-warning watch (lib/watch) remembers between its runs: a short history of cheap
// readings per service, the message it posted about a developing leak (so the next run updates
// it instead of posting again), and the restarts it keeps watching for a regression. Every record
// is bounded: samples by count and TTL, notices and restart marks by TTL.
import { z } from 'zod';
import { slackThreadSchema } from './records.ts';

const iso = z.string().min(1).max(40);
const label = z.string().min(1).max(200);
const count = z.number().int().min(0).max(10_000_000);
const nullableCount = count.nullable();

export const watchSampleSchema = z.object({
  service: label,
  /** When it was read (ISO 8601). */
  at: iso,
  /** Leaked transactions/rows: the larger of the awaitDone goroutines and the sessions idle in a transaction. */
  leaked: count,
  idleInTransaction: nullableCount,
  oldestTransactionMs: z.number().min(0).nullable(),
  /** The service's sessions idle (held, not in a transaction). */
  idleHeld: nullableCount,
  /** (*Tx).awaitDone + (*Rows).awaitDone goroutines over the replicas whose dump was read. */
  awaitDone: nullableCount,
  /** database/sql pool in use / max, summed over the replicas that export it. */
  poolInUse: nullableCount,
  poolMax: nullableCount,
  /** The whole database: sessions in use, and what applications may hold. */
  dbInUse: nullableCount,
  dbAvailable: nullableCount,
  /** The culprit function the dumps name, if any. */
  culprit: z.string().max(500).nullable(),
});
export type WatchSample = z.infer<typeof watchSampleSchema>;

export const watchNoticeSchema = z.object({
  service: label,
  kind: z.enum(['developing', 'regression']),
  /** Where the message is: chat.update needs both. */
  channel: z.string().min(1).max(80),
  ts: z.string().min(1).max(40),
  postedAt: iso,
  updatedAt: iso,
  /** A regression notice belongs to the restart it follows. */
  incidentId: label.nullable(),
});
export type WatchNotice = z.infer<typeof watchNoticeSchema>;

export const restartMarkSchema = z.object({
  service: label,
  incidentId: label.nullable(),
  restartedAt: iso,
  /** The culprit function of the incident's Report ("same culprit" is judged against it). */
  culprit: z.string().max(500).nullable(),
  /** The incident thread the regression note goes to. */
  thread: slackThreadSchema.nullable(),
  /** Watched until then. */
  until: iso,
});
export type RestartMark = z.infer<typeof restartMarkSchema>;

export interface WatchStore {
  /** Appends a sample; the oldest beyond `keep` and those past `ttlSeconds` are dropped. */
  addSample(sample: WatchSample, bounds: { keep: number; ttlSeconds: number }): Promise<void>;
  /** Samples taken at or after `sinceMs`, oldest first, at most `limit` (the newest). */
  listSamples(service: string, sinceMs: number, limit: number): Promise<WatchSample[]>;
  getNotice(service: string, kind: WatchNotice['kind']): Promise<WatchNotice | null>;
  putNotice(notice: WatchNotice, ttlSeconds: number): Promise<void>;
  clearNotice(service: string, kind: WatchNotice['kind']): Promise<void>;
  /** The latest restart of the service (one per service: a newer restart replaces it). */
  markRestart(mark: RestartMark): Promise<void>;
  getRestart(service: string): Promise<RestartMark | null>;
}

/** Sample history defaults: 5-minute runs over a 2-hour window, with room to spare. */
export const WATCH_SAMPLE_KEEP = 96;
