// One deadline for a whole snapshot or termination: driver timeouts cover single steps, this
// covers the sum, and on expiry it closes the socket so nothing keeps running behind our back.
import { DeadlineError } from './problems.ts';

export function remainingMs(deadlineAt: number): number {
  return Math.max(0, deadlineAt - Date.now());
}

export function withDeadline<T>(
  work: Promise<T>,
  deadlineAt: number,
  phase: 'connect' | 'query',
  totalMs: number,
  onExpire: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onExpire();
      reject(new DeadlineError(phase, totalMs));
    }, remainingMs(deadlineAt));
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
