// Did the remedy work? Compare connections, idle-in-transaction sessions and ELB 504s before and
// after, then keep watching: a leak that returns within the watch window is "regressed later"
// (the restart only bought time; the code still leaks). Pure evaluation over plain numbers; the
// scheduler takes an injected reader, so where the numbers come from is the caller's business.
import type { JobQueue, Reading, TimedReading, VerifyJob } from '../jobs/index.ts';
import { errorMessage } from '../errors/index.ts';

export type Verdict = 'pass' | 'fail' | 'regressed-later' | 'inconclusive';

export interface MetricComparison {
  metric: keyof Reading;
  before: number | null;
  after: number | null;
  /** after − before; null when either is unknown. */
  change: number | null;
  ok: boolean | null;
}

export interface VerificationVerdict {
  /** `inconclusive`: nothing could be compared (no before, or no reading came back). */
  verdict: Verdict;
  /** One line per metric and per regression, for the thread. */
  reasons: string[];
  comparisons: MetricComparison[];
  /** The first later reading that showed the leak back, if any. */
  regressedAt: string | null;
}

export interface VerificationThresholds {
  /** Connections must fall by at least this share of `before`. Default 0.3. */
  minConnectionDrop: number;
  /** Below this many connections before, any non-increase counts (nothing much to drop). Default 5. */
  smallPool: number;
  /** Idle-in-transaction after must be at most max(this, before × idleInTransactionRatio). Default 1. */
  idleInTransactionFloor: number;
  idleInTransactionRatio: number;
  /** 504s after must be at most before × this. Default 0.2. */
  elb504Ratio: number;
  /** A later reading with connections ≥ before × this is the leak back. Default 0.8. */
  regressConnectionRatio: number;
  /** …or idle-in-transaction ≥ max(floor + 1, before × this). Default 0.5. */
  regressIdleInTransactionRatio: number;
}

export const DEFAULT_THRESHOLDS: VerificationThresholds = {
  minConnectionDrop: 0.3,
  smallPool: 5,
  idleInTransactionFloor: 1,
  idleInTransactionRatio: 0.25,
  elb504Ratio: 0.2,
  regressConnectionRatio: 0.8,
  regressIdleInTransactionRatio: 0.5,
};

const METRICS: Array<keyof Reading> = ['connections', 'idleInTransaction', 'elb504'];
const LABEL: Record<keyof Reading, string> = { connections: 'connections', idleInTransaction: 'idle in transaction', elb504: 'ELB 504s' };

/**
 * `before`: the reading behind the decision to act; `after`: the first reading after the remedy;
 * `history`: later readings within the watch window, oldest first.
 */
export function evaluateVerification(
  before: Reading | null,
  after: Reading,
  history: TimedReading[] = [],
  thresholds: Partial<VerificationThresholds> = {},
): VerificationVerdict {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const comparisons: MetricComparison[] = METRICS.map((metric) => {
    const b = before?.[metric] ?? null;
    const a = after[metric];
    const comparable = b !== null && a !== null;
    return { metric, before: b, after: a, change: comparable ? a - b : null, ok: comparable ? recovered(metric, b, a, t) : null };
  });
  const compared = comparisons.filter((c) => c.ok !== null);
  const reasons = comparisons.map(describe);
  if (compared.length === 0) return { verdict: 'inconclusive', reasons: [...reasons, 'nothing to compare: no reading before or after'], comparisons, regressedAt: null };
  if (compared.some((c) => !c.ok)) return { verdict: 'fail', reasons, comparisons, regressedAt: null };

  for (const later of history) {
    const back = regression(before!, later, t);
    if (back) return { verdict: 'regressed-later', reasons: [...reasons, `leak back at ${later.at}: ${back}`], comparisons, regressedAt: later.at };
  }
  return { verdict: 'pass', reasons, comparisons, regressedAt: null };
}

function recovered(metric: keyof Reading, before: number, after: number, t: VerificationThresholds): boolean {
  switch (metric) {
    case 'connections':
      return before <= t.smallPool ? after <= before : after <= before * (1 - t.minConnectionDrop);
    case 'idleInTransaction':
      return after <= Math.max(t.idleInTransactionFloor, before * t.idleInTransactionRatio);
    case 'elb504':
      return after <= before * t.elb504Ratio;
  }
}

function regression(before: Reading, later: Reading, t: VerificationThresholds): string | null {
  const found: string[] = [];
  if (before.connections !== null && later.connections !== null && before.connections > t.smallPool && later.connections >= before.connections * t.regressConnectionRatio) {
    found.push(`connections ${later.connections} (was ${before.connections} before the remedy)`);
  }
  if (
    before.idleInTransaction !== null &&
    later.idleInTransaction !== null &&
    before.idleInTransaction > t.idleInTransactionFloor &&
    later.idleInTransaction >= Math.max(t.idleInTransactionFloor + 1, before.idleInTransaction * t.regressIdleInTransactionRatio)
  ) {
    found.push(`idle in transaction ${later.idleInTransaction} (was ${before.idleInTransaction})`);
  }
  return found.length ? found.join(', ') : null;
}

function describe(c: MetricComparison): string {
  const name = LABEL[c.metric];
  if (c.before === null && c.after === null) return `${name}: not read`;
  if (c.before === null) return `${name}: ${c.after} now (no reading before)`;
  if (c.after === null) return `${name}: ${c.before} before, could not be read after`;
  const arrow = c.change! < 0 ? `↓${-c.change!}` : c.change! > 0 ? `↑${c.change}` : 'unchanged';
  return `${name}: ${c.before} → ${c.after} (${arrow})${c.ok ? '' : ', not recovered'}`;
}

// ---------------------------------------------------------------------------------------------
// Scheduling

export interface VerificationPlan {
  /** First check this long after the remedy (pods need to start and take traffic). Default 120 s. */
  delaySeconds?: number;
  /** Keep checking until this long after the remedy. Default 30 min. */
  watchSeconds?: number;
  /** Between checks. Default 5 min. */
  intervalSeconds?: number;
  /** The reading behind the decision (from the triage Report). */
  before: Reading | null;
}

/** The deployed schedule: pods need minutes to start and take traffic; a leak takes longer to come back. */
export const DEFAULT_VERIFICATION = { delaySeconds: 120, intervalSeconds: 300, watchSeconds: 1800 } as const;

/** Enqueues the first check of a verification. */
export async function scheduleVerification(
  queue: JobQueue,
  what: { service: string; incidentId: string | null; approvalId: string | null; action: 'restart' | 'terminate' },
  plan: VerificationPlan,
  now: number = Date.now(),
): Promise<{ id: string }> {
  const delay = plan.delaySeconds ?? DEFAULT_VERIFICATION.delaySeconds;
  return queue.enqueue(
    {
      type: 'verify',
      ...what,
      before: plan.before,
      history: [],
      startedAt: new Date(now).toISOString(),
      watchUntil: new Date(now + (plan.watchSeconds ?? DEFAULT_VERIFICATION.watchSeconds) * 1000).toISOString(),
      intervalSeconds: plan.intervalSeconds ?? DEFAULT_VERIFICATION.intervalSeconds,
    },
    { delaySeconds: delay },
  );
}

export interface VerificationCheck {
  verdict: VerificationVerdict;
  reading: TimedReading;
  /** Whether this is the last check (a fail or regression, or the watch window is over). */
  final: boolean;
  /** The first check of a verification (post "before/after" then; later ones only on news). */
  first: boolean;
  nextJobId: string | null;
  /** Why the reader failed, if it did (the check then counts as a reading with nothing in it). */
  readError: string | null;
}

/**
 * Runs one check of a verify job: read, evaluate with everything read so far, and schedule the
 * next check while the window lasts and the verdict is still "pass".
 */
export async function runVerificationCheck(input: {
  job: VerifyJob;
  read: (job: VerifyJob) => Promise<Reading>;
  queue: JobQueue;
  thresholds?: Partial<VerificationThresholds>;
  now?: () => number;
}): Promise<VerificationCheck> {
  const now = input.now ?? Date.now;
  const { job } = input;
  let reading: Reading;
  let readError: string | null = null;
  try {
    reading = await input.read(job);
  } catch (err) {
    readError = errorMessage(err);
    reading = { connections: null, idleInTransaction: null, elb504: null };
  }
  const timed: TimedReading = { ...reading, at: new Date(now()).toISOString() };
  const readings = [...job.history, timed];
  // "After" is the first reading that read anything; an unreadable first check must not make
  // the whole verification inconclusive.
  const firstUseful = Math.max(0, readings.findIndex((r) => r.connections !== null || r.idleInTransaction !== null || r.elb504 !== null));
  const verdict = evaluateVerification(job.before, readings[firstUseful]!, readings.slice(firstUseful + 1), input.thresholds);
  const nextAt = now() + job.intervalSeconds * 1000;
  const final = verdict.verdict === 'fail' || verdict.verdict === 'regressed-later' || nextAt > Date.parse(job.watchUntil);
  let nextJobId: string | null = null;
  if (!final) nextJobId = (await input.queue.enqueue({ ...job, history: readings }, { delaySeconds: job.intervalSeconds })).id;
  return { verdict, reading: timed, final, first: job.history.length === 0, nextJobId, readError };
}
