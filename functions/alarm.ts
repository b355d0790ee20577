// Lambda entry for alarms: the SNS topic CloudWatch alarms notify, and the EventBridge rule on
// "CloudWatch Alarm State Change". Records become incidents (deduplicated) and triage jobs.
// Composed in lib/wiring/alarm.ts.
export { handler } from '../lib/wiring/alarm.ts';
