// Lambda entry for the scheduled watch (EventBridge, every 5 minutes by default): reads every
// watched service cheaply and warns of a leak developing before the alarm, or of a leak back
// after a restart. The run ends inside the function's timeout with what it read (lib/watch).
import type { ScheduledEvent } from 'aws-lambda';
import { describeError } from '../lib/lambda/log.ts';
import { runWatch, type WatchRunResult } from '../lib/watch/index.ts';
import { watchContext } from '../lib/watch/lambda-context.ts';

export async function handler(_event: ScheduledEvent, context?: { getRemainingTimeInMillis?: () => number }): Promise<Omit<WatchRunResult, 'outcomes'> & { said: Record<string, number> }> {
  let deps;
  try {
    deps = await watchContext.get();
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', fn: 'watch', msg: 'not configured', reason: describeError(err) }));
    throw new Error('leakhound watch is not configured; see the log line above');
  }
  // Two seconds kept for the last Slack and store calls after the deadline.
  const remaining = context?.getRemainingTimeInMillis?.();
  const result = await runWatch(deps, remaining ? { deadline: Date.now() + Math.max(1_000, remaining - 2_000) } : {});
  const said: Record<string, number> = {};
  for (const o of result.outcomes) said[o.said] = (said[o.said] ?? 0) + 1;
  const { outcomes: _omit, ...summary } = result;
  deps.log?.('watch run', { ...summary, said });
  return { ...summary, said };
}
