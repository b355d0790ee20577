// Every deadline in the bot goes through here: one error type, one way to race work against a
// timer, and the timer never outlives the race (a leaked timer keeps a Lambda or a CLI alive).

/**
 * Our own deadline passed. Named `TimeoutError` like the AWS SDK's and fetch's timeouts, so
 * whatever classifies those (a metrics gap, a session problem) treats ours the same way.
 */
export class DeadlineError extends Error {
  override name = 'TimeoutError';
  constructor(
    readonly ms: number,
    message = `no answer within ${ms} ms`,
    /** What was being waited for, when the caller decides on it (sessions: connect or query). */
    readonly during?: string,
  ) {
    super(message);
  }
}

export const remainingMs = (deadlineAt: number): number => Math.max(0, deadlineAt - Date.now());

/**
 * `work`, or a rejection with `expired()` once `ms` have passed. `expired` may also stop the work
 * (close its socket, abort its signal) so nothing keeps running behind the caller's back.
 */
export function within<T>(work: Promise<T>, ms: number, expired: () => Error = () => new DeadlineError(ms)): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(expired()), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * Runs `call` with an abort signal that fires after `ms`, and stops waiting then even if the
 * callee ignores the signal.
 */
export function withDeadline<T>(ms: number, call: (signal: AbortSignal) => Promise<T>, message?: string): Promise<T> {
  const controller = new AbortController();
  return within(call(controller.signal), ms, () => {
    const err = new DeadlineError(ms, message);
    controller.abort(err);
    return err;
  });
}

/** Resolves with `fallback` (and `late: true`) when `work` is not done by `deadlineAt`: partial results, never a hang. */
export async function byDeadline<T>(work: Promise<T>, deadlineAt: number, fallback: T): Promise<{ value: T; late: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ value: T; late: boolean }>((resolve) => {
    timer = setTimeout(() => resolve({ value: fallback, late: true }), remainingMs(deadlineAt));
  });
  try {
    return await Promise.race([work.then((value) => ({ value, late: false })), late]);
  } finally {
    clearTimeout(timer);
  }
}
