// What the CloudWatch readers share: the client's shape, the default timeout, and AWS errors turned
// into named gaps. The client itself is built in create-client.ts (the SDK loads with it).
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { MetricsGap, MetricsGapReason } from './model.ts';
import { errorMessage } from '../errors/index.ts';

/** Anything with the client's `send`; tests pass a client mocked with aws-sdk-client-mock. */
export type CloudWatchLike = Pick<CloudWatchClient, 'send'>;

export const DEFAULT_TIMEOUT_MS = 3000;

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
