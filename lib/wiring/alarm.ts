// The alarm function (functions/alarm.ts): the shared context built on first use, and each SNS
// or EventBridge delivery turned into incidents and triage jobs by lib/intake.
import { errorMessage } from '../errors/index.ts';
import { handleAlarmEvent, type AlarmEventResult } from '../intake/index.ts';
import { createLog } from '../lambda/index.ts';
import { coreContext, type CoreContext } from './core.ts';

const log = createLog('alarm');

export async function handler(event: unknown): Promise<AlarmEventResult> {
  let core: CoreContext;
  try {
    core = await coreContext.get();
  } catch (err) {
    // Thrown on, so Lambda retries the delivery once the configuration is fixed.
    log.error('not configured', { reason: errorMessage(err) });
    throw new Error('leakhound alarm function is not configured; see the log line above');
  }
  return handleAlarmEvent(event, { ...core, log });
}
