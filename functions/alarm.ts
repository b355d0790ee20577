// Lambda entry for alarms: the SNS topic CloudWatch alarms notify, and the EventBridge rule on
// "CloudWatch Alarm State Change". Records become incidents (deduplicated) and triage jobs.
import { handleAlarmEvent, type AlarmEventResult } from '../lib/runtime/alarm.ts';
import { coreContext } from '../lib/runtime/context.ts';
import { createLog } from '../lib/runtime/log.ts';

const log = createLog('alarm');

export async function handler(event: unknown): Promise<AlarmEventResult> {
  const core = await coreContext.get();
  return handleAlarmEvent(event, { ...core, log });
}
