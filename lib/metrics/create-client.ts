// The CloudWatch client: a module of its own so that the SDK client loads only where one is built
// (the worker builds it on its first metrics call, lib/wiring/worker.ts).
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DEFAULT_TIMEOUT_MS } from './client.ts';

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
