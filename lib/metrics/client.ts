// The CloudWatch client, a deadline around every call, and AWS errors turned into named gaps.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { MetricsGap, MetricsGapReason } from './model.ts';
import { errorMessage } from '../errors/index.ts';

/** Anything with the client's `send`; tests pass a client mocked with aws-sdk-client-mock. */
export type CloudWatchLike = Pick<CloudWatchClient, 'send'>;

export const DEFAULT_TIMEOUT_MS = 3000;

export interface CloudWatchClientOptions {
  region?: string | null;
  /** Per-request socket timeout; also bounded per call by `withDeadline`. */
  timeoutMs?: number;
}

export function createCloudWatchClient(options: CloudWatchClientOptions = {}): CloudWatchClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new CloudWatchClient({
    ...(options.region ? { region: options.region } : {}),
    // Triage runs under a deadline of seconds: one retry at most, short connect.
    maxAttempts: 2,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 1000) },
  });
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'NotAuthorized', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'LimitExceeded', 'LimitExceededException', 'TooManyRequestsException']);
const TIMEOUT = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);

export function gapFromError(what: MetricsGap['what'], err: unknown): MetricsGap {
  const name = err instanceof Error ? err.name : 'Error';
  const message = errorMessage(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const code = (err as { code?: string } | null)?.code;
  let reason: MetricsGapReason = 'error';
  if (TIMEOUT.has(name) || code === 'ETIMEDOUT' || code === 'ECONNRESET') reason = 'timeout';
  else if (ACCESS_DENIED.has(name) || status === 403) reason = 'access-denied';
  else if (THROTTLED.has(name) || status === 429) reason = 'throttled';
  return { what, reason, detail: `${name}: ${message}` };
}
