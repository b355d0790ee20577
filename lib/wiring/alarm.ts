// The Lambda function for alarms: the SNS topic CloudWatch alarms notify, and the EventBridge rule on
// "CloudWatch Alarm State Change". Records become incidents (deduplicated) and triage jobs.
// Log lines carry the delivery's id (SNS message id, EventBridge event id) as correlation id.
import { deliveryId, handleAlarmEvent, type AlarmEventResult } from '../intake/index.ts';
import { coreContext, type CoreContext } from './core.ts';
import { createTelemetry, invocation } from '../lambda/index.ts';
import { errorMessage } from '../errors/index.ts';

const telemetry = createTelemetry('alarm');
const { log } = telemetry;

export async function handler(event: unknown, context?: unknown): Promise<AlarmEventResult> {
  return invocation(telemetry, context, deliveryId(event), async () => {
    let core: CoreContext;
    try {
      core = await coreContext.get();
    } catch (err) {
      // Thrown on, so Lambda retries the delivery once the configuration is fixed.
      log.error('not configured', { reason: errorMessage(err) });
      throw new Error('leakhound alarm function is not configured; see the log line above');
    }
    return handleAlarmEvent(event, { ...core, log });
  });
}
