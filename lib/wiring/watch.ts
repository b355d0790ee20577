// The Lambda function for the scheduled watch (EventBridge, every 5 minutes by default): reads every
// watched service cheaply and warns of a leak developing before the alarm, or of a leak back
// after a restart. The run ends inside the function's timeout with what it read (lib/watch).
import { z } from 'zod';
import { errorMessage } from '../errors/index.ts';
import { createTelemetry, invocation } from '../lambda/index.ts';
import { runWatch, type WatchRunResult } from '../watch/index.ts';
import { watchContext } from './watch-context.ts';

const telemetry = createTelemetry('watch');
const { log } = telemetry;

type Summary = Omit<WatchRunResult, 'outcomes'> & { said: Record<string, number> };

// Only EventBridge's schedule starts a run: anything else (a test invoke with the wrong payload,
// another rule pointed here by mistake) is answered without reading a single database.
const scheduledEvent = z.looseObject({ source: z.literal('aws.events'), 'detail-type': z.literal('Scheduled Event'), id: z.string().max(200).optional() });

export async function handler(event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<Summary | { ignored: string }> {
  const parsed = scheduledEvent.safeParse(event);
  return invocation(telemetry, context, parsed.success ? (parsed.data.id ?? null) : null, async () => {
    if (!parsed.success) {
      log.warn('not a scheduled event; ignored', { reason: parsed.error.issues[0]?.message ?? 'invalid' });
      return { ignored: 'not an EventBridge scheduled event' };
    }
    let deps;
    try {
      deps = await watchContext.get();
    } catch (err) {
      log.error('not configured', { reason: errorMessage(err) });
      throw new Error('leakhound watch is not configured; see the log line above');
    }
    // Two seconds kept for the last Slack and store calls after the deadline.
    const remaining = context?.getRemainingTimeInMillis?.();
    const result = await runWatch(deps, remaining ? { deadline: Date.now() + Math.max(1_000, remaining - 2_000) } : {});
    const said: Record<string, number> = {};
    for (const o of result.outcomes) said[o.said] = (said[o.said] ?? 0) + 1;
    const { outcomes: _omit, ...summary } = result;
    log.info('watch run', { services: summary.services, databaseReads: summary.databaseReads, elapsedMs: summary.elapsedMs, skipped: summary.skipped.length, problems: summary.problems.length, ...said });
    for (const p of summary.problems) log.warn('watch problem', { reason: p });
    return { ...summary, said };
  });
}
