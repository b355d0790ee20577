// Lambda entry for Slack: `/leak` and button clicks (API Gateway → here). The app is built once
// per container on the first request; each request goes to Bolt's AwsLambdaReceiver, which
// verifies the signature, runs the listener (validate, ack, enqueue) and returns its answer.
// Bolt logs through the function's Powertools log (API Gateway's request id as correlation id);
// approvals are counted in its metrics.
// Composed in lib/wiring/slack.ts.
export { handler } from '../lib/wiring/slack.ts';
