// Lambda entry for alarms: the SNS topic CloudWatch alarms notify, and the EventBridge rule on
// "CloudWatch Alarm State Change". Records become incidents (deduplicated) and triage jobs.
// Log lines carry the delivery's id (SNS message id, EventBridge event id) as correlation id.
// Composed in lib/wiring/alarm.ts.
export { handler } from '../lib/wiring/alarm.ts';
