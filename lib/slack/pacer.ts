// Paces writes per channel: at most one every `minIntervalMs` (Slack allows about one message per
// second per channel; an alarm storm must not flood it). Writes that replace each other (updates
// of one message) share a key: a pending one is superseded by the newer, so only the latest
// progress text is sent and every caller's promise settles when it is.
export interface PacerOptions {
  minIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Task {
  key: string | null;
  run: () => Promise<unknown>;
  waiters: Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
}

interface Lane {
  queue: Task[];
  running: Promise<void> | null;
  lastAt: number;
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

  /** Runs `run` in `channel`'s lane. With a `key`, a not-yet-started task of the same key is replaced. */
  schedule<T>(channel: string, run: () => Promise<T>, key: string | null = null): Promise<T> {
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = { queue: [], running: null, lastAt: Number.NEGATIVE_INFINITY };
      this.lanes.set(channel, lane);
    }
    const pending = key === null ? undefined : lane.queue.find((t) => t.key === key);
    const promise = new Promise<T>((resolve, reject) => {
      const waiter = { resolve: resolve as (v: unknown) => void, reject };
      if (pending) {
        pending.run = run;
        pending.waiters.push(waiter);
      } else {
        lane!.queue.push({ key, run, waiters: [waiter] });
      }
    });
    if (!lane.running) lane.running = this.drain(channel, lane);
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
