// Paces writes per channel: at most one every `minIntervalMs` (Slack allows about one message per
// second per channel; an alarm storm must not flood it). Writes that replace each other (updates
// of one message) share a key: a pending one is superseded by the newer, so only the latest
// progress text is sent and every caller's promise settles when it is.
//
// "Newer" is the order in which callers decided what to write (their `version`), not the order in
// which their writes reach the pacer: a caller that awaited a slow store read before scheduling
// arrives late with old content (a progress step), and must not replace, nor follow, the verdict
// written after it.
export interface PacerOptions {
  minIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ScheduleOptions {
  /** Writes of one key replace each other (updates of one message). */
  key?: string | null;
  /** Order of the writes of a key, as their callers issued them; without it, arrival order. */
  version?: number;
  /** A pending write that must run even when a newer one of its key comes (a post creating the message). Default true. */
  replaceable?: boolean;
}

interface Task {
  key: string | null;
  version: number;
  replaceable: boolean;
  run: () => Promise<unknown>;
  waiters: Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
}

interface Lane {
  queue: Task[];
  running: Promise<void> | null;
  lastAt: number;
  /** Per key, the newest version scheduled: an older write arriving later is stale. */
  newest: Map<string, number>;
}

/** Keys remembered per lane (one per message written): old ones are forgotten first. */
const MAX_KEYS = 1000;

function remember(newest: Map<string, number>, key: string, version: number): void {
  newest.delete(key); // re-inserted last: the map's order is oldest-touched first
  newest.set(key, version);
  if (newest.size > MAX_KEYS) newest.delete(newest.keys().next().value!);
}

export class ChannelPacer {
  private readonly lanes = new Map<string, Lane>();
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: PacerOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Runs `run` in `channel`'s lane. With a `key`, a not-yet-started task of the same key is
   * replaced by a newer one; a write older than one already scheduled for its key is dropped
   * (its promise settles with the newer write, or at once when that one already ran).
   */
  schedule<T>(channel: string, run: () => Promise<T>, options: ScheduleOptions | string | null = {}): Promise<T> {
    const o: ScheduleOptions = typeof options === 'string' || options === null ? { key: options } : options;
    const key = o.key ?? null;
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = { queue: [], running: null, lastAt: Number.NEGATIVE_INFINITY, newest: new Map() };
      this.lanes.set(channel, lane);
    }
    const l = lane;
    const version = key === null ? 0 : (o.version ?? (l.newest.get(key) ?? 0) + 1);
    const stale = key !== null && version < (l.newest.get(key) ?? Number.NEGATIVE_INFINITY);
    const pending = key === null ? undefined : l.queue.find((t) => t.key === key && t.replaceable);
    const promise = new Promise<T>((resolve, reject) => {
      const waiter = { resolve: resolve as (v: unknown) => void, reject };
      if (stale) {
        // Settles with the newer write when it is still waiting; it already went out otherwise.
        if (pending) pending.waiters.push(waiter);
        else resolve(undefined as T);
      } else if (pending && o.replaceable !== false) {
        Object.assign(pending, { run, version });
        pending.waiters.push(waiter);
      } else {
        l.queue.push({ key, version, replaceable: o.replaceable !== false, run, waiters: [waiter] });
      }
    });
    if (key !== null && !stale) remember(l.newest, key, version);
    if (!l.running && l.queue.length) l.running = this.drain(channel, l);
    return promise;
  }

  /** Resolves when every lane is empty (a Lambda worker calls this before returning). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.lanes.values()].map((l) => l.running).filter((p): p is Promise<void> => p !== null);
      if (!running.length) return;
      await Promise.all(running);
    }
  }

  private async drain(channel: string, lane: Lane): Promise<void> {
    // Start on the next tick so tasks scheduled in the same tick can coalesce.
    await Promise.resolve();
    try {
      for (let task = lane.queue[0]; task; task = lane.queue[0]) {
        const wait = lane.lastAt + this.minIntervalMs - this.now();
        if (wait > 0) await this.sleep(wait);
        lane.queue.shift();
        lane.lastAt = this.now();
        try {
          const value = await task.run();
          for (const w of task.waiters) w.resolve(value);
        } catch (err) {
          for (const w of task.waiters) w.reject(err);
        } finally {
          // A write can take long (WebClient waiting out a 429's Retry-After, then retrying):
          // the next one keeps its distance from when this one really went out.
          lane.lastAt = this.now();
        }
      }
    } finally {
      // The lane (and its lastAt) stays: the next write must still wait its turn.
      lane.running = null;
      if (lane.queue.length) lane.running = this.drain(channel, lane);
    }
  }
}
