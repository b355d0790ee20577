// One deadline for a whole snapshot or termination: driver timeouts cover single steps, this
// covers the sum, and on expiry it closes the socket so nothing keeps running behind our back.
import { DeadlineError, remainingMs, within } from '../errors/index.ts';

export function closeAtDeadline<T>(
  work: Promise<T>,
  deadlineAt: number,
  phase: 'connect' | 'query',
  totalMs: number,
  onExpire: () => void,
): Promise<T> {
  return within(work, remainingMs(deadlineAt), () => {
    onExpire();
    return new DeadlineError(totalMs, `no answer within ${totalMs} ms while ${phase === 'connect' ? 'connecting' : 'reading sessions'}`, phase);
  });
}
