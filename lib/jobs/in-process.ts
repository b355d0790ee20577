// The local queue (CLI, dev server, demo, tests): jobs run in this process, delays are timers,
// failures are retried and then kept as dead letters, like SQS with a DLQ.
import { buildEnvelope } from './envelope.ts';
import type { EnqueueOptions, JobEnvelope, JobHandler, JobInput, JobQueue } from './model.ts';
import { errorMessage } from '../errors/index.ts';

export interface InProcessJobQueueOptions {
  /** Deliveries per job before it is dead-lettered (SQS maxReceiveCount). Default 3. */
  maxAttempts?: number;
  /** Multiplies every delay: 0 runs delayed jobs at once (tests), 1/60 makes minutes seconds (demo). */
  delayScale?: number;
  /** Pause before a retry. Default 0. */
  retryDelayMs?: number;
  /** Told about each failed delivery (for logs). */
  onError?: (envelope: JobEnvelope, error: unknown, attempt: number) => void;
  now?: () => number;
}

export interface DeadLetter {
  envelope: JobEnvelope;
  error: string;
  attempts: number;
}

export class InProcessJobQueue implements JobQueue {
  /** Jobs that failed every attempt, oldest first. */
  readonly deadLetters: DeadLetter[] = [];
  private handler: JobHandler | null;
  private readonly opts: Required<Omit<InProcessJobQueueOptions, 'onError'>> & Pick<InProcessJobQueueOptions, 'onError'>;
  private readonly timers = new Map<NodeJS.Timeout, { delayed: boolean }>();
  private pending = 0;
  /** Jobs waiting for their own delay (a verification after a restart), not yet started. */
  private delayed = 0;
  private idleWaiters: Array<() => void> = [];
  private dueWaiters: Array<() => void> = [];
  private closed = false;

  constructor(handler: JobHandler | null = null, options: InProcessJobQueueOptions = {}) {
    this.handler = handler;
    this.opts = {
      maxAttempts: options.maxAttempts ?? 3,
      delayScale: options.delayScale ?? 1,
      retryDelayMs: options.retryDelayMs ?? 0,
      onError: options.onError,
      now: options.now ?? Date.now,
    };
  }

  /** Sets the worker (the worker usually needs the queue itself, so it comes after construction). */
  setHandler(handler: JobHandler): void {
    this.handler = handler;
  }

  async enqueue(job: JobInput, options: EnqueueOptions = {}): Promise<{ id: string }> {
    if (this.closed) throw new Error('queue is closed');
    const envelope = buildEnvelope(job, options, this.opts.now());
    const delayMs = (options.delaySeconds ?? 0) * 1000 * this.opts.delayScale;
    this.schedule(envelope, 1, delayMs, delayMs > 0);
    return { id: envelope.id };
  }

  /** Resolves when nothing is running or scheduled, including jobs enqueued by jobs. */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Resolves when nothing is running or due: jobs enqueued by jobs and retries included, jobs
   * waiting for their own delay not. (A console waits for what a line started, not for the
   * verification due minutes later.)
   */
  settled(): Promise<void> {
    if (this.pending === this.delayed) return Promise.resolve();
    return new Promise((resolve) => this.dueWaiters.push(resolve));
  }

  /** Jobs waiting or running. */
  get size(): number {
    return this.pending;
  }

  /** Jobs waiting for their delay. */
  get waiting(): number {
    return this.delayed;
  }

  /** Drops scheduled jobs and refuses new ones (running jobs finish). */
  close(): void {
    this.closed = true;
    for (const [t, { delayed }] of this.timers) {
      clearTimeout(t);
      if (delayed) this.delayed--;
      this.settle();
    }
    this.timers.clear();
  }

  private schedule(envelope: JobEnvelope, attempt: number, delayMs: number, delayed = false): void {
    this.pending++;
    if (delayed) this.delayed++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (delayed) this.delayed--;
      void this.run(envelope, attempt);
    }, Math.max(0, delayMs));
    this.timers.set(timer, { delayed });
  }

  private async run(envelope: JobEnvelope, attempt: number): Promise<void> {
    try {
      if (!this.handler) throw new Error('no handler set on the in-process queue');
      await this.handler(envelope.job, { id: envelope.id, enqueuedAt: envelope.enqueuedAt, attempt });
    } catch (err) {
      this.opts.onError?.(envelope, err, attempt);
      if (attempt < this.opts.maxAttempts && !this.closed) this.schedule(envelope, attempt + 1, this.opts.retryDelayMs);
      else this.deadLetters.push({ envelope, error: errorMessage(err), attempts: attempt });
    } finally {
      this.settle();
    }
  }

  private settle(): void {
    this.pending--;
    if (this.pending === this.delayed) {
      const due = this.dueWaiters;
      this.dueWaiters = [];
      for (const w of due) w();
    }
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
