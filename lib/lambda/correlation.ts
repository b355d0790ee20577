// The correlation id of the work in progress, for log lines: the SQS message a worker record
// came in, the Slack request, the alarm delivery. The worker runs a batch's records at once, so a
// per-invocation key would be overwritten by the next record: the id travels with the async
// work instead (AsyncLocalStorage), and every log line written inside it carries it.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<string>();

/** Runs `work` with `id` as the correlation id of everything it logs. */
export function withCorrelationId<T>(id: string, work: () => Promise<T>): Promise<T> {
  return scope.run(id, work);
}

/** The correlation id of the current async work, if it runs inside withCorrelationId. */
export function currentCorrelationId(): string | undefined {
  return scope.getStore();
}
