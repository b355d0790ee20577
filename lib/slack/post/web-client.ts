// The WebClient every part of Leakhound uses: a per-request timeout, a bounded retry policy
// (WebClient's default retries for about 30 minutes, far past a Lambda's life) and 429 handling
// left to WebClient: it waits the Retry-After seconds, pausing its whole queue, then retries.
import { LogLevel, WebClient, type RetryOptions } from '@slack/web-api';
import { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Worker side: a few retries with backoff, each attempt bounded by the timeout. */
export const WORKER_RETRY: RetryOptions = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5_000, randomize: true };

/** Inside a Slack listener the 3-second budget matters more than the retry: one retry, soon. */
export const LISTENER_RETRY: RetryOptions = { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 };

export interface SlackClientOptions {
  /** Default https://slack.com/api/ (tests point it at a local server). */
  slackApiUrl?: string;
  timeoutMs?: number;
  retryConfig?: RetryOptions;
  /** Default false: wait out a 429's Retry-After and retry. Listeners set it (their budget is 3 s). */
  rejectRateLimitedCalls?: boolean;
  logLevel?: LogLevel;
}

const tokenSchema = z.string().regex(/^xox[bp]-[A-Za-z0-9-]+$/, 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)');

export function createSlackClient(token: string, options: SlackClientOptions = {}): WebClient {
  tokenSchema.parse(token);
  return new WebClient(token, {
    slackApiUrl: options.slackApiUrl,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retryConfig: options.retryConfig ?? WORKER_RETRY,
    // Wait and retry on 429 (Retry-After) rather than fail: the pacer keeps us under the limit,
    // and a burst from several Lambdas is exactly when waiting is right.
    rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? false,
    logLevel: options.logLevel ?? LogLevel.WARN,
  });
}
