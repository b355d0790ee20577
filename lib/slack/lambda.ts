// The Slack app behind API Gateway: Bolt's AwsLambdaReceiver (signature and 5-minute timestamp
// checks, url_verification, ssl_check) with our listeners, as a two-argument handler.
import { AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { createSlackApp, type SlackAppOptions } from './app.ts';

type AwsHandler = ReturnType<AwsLambdaReceiver['toHandler']>;
/** API Gateway REST (v1) or HTTP API (v2) event, as the receiver reads it. */
export type AwsEvent = Parameters<AwsHandler>[0];
export type AwsResponse = Awaited<ReturnType<AwsHandler>>;
export type SlackLambdaHandler = (event: AwsEvent, context: unknown) => Promise<AwsResponse>;

export interface SlackLambdaOptions extends Omit<SlackAppOptions, 'receiver'> {
  signingSecret: string;
}

export function createSlackLambdaHandler(options: SlackLambdaOptions): SlackLambdaHandler {
  if (!options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is not set');
  const receiver = new AwsLambdaReceiver({
    signingSecret: options.signingSecret,
    logLevel: options.logLevel ?? LogLevel.WARN,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  createSlackApp({ ...options, receiver, secrets: [options.signingSecret, ...(options.secrets ?? [])] });
  const handle = receiver.toHandler();
  return async (event, context) => {
    try {
      return await handle(event, context);
    } catch {
      // The receiver parses the body before it checks the signature and throws on bad JSON:
      // that is a bad request, not a crash (and nothing of it is logged).
      return { statusCode: 400, body: '' };
    }
  };
}
