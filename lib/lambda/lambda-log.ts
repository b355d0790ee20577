// The functions' log: Powertools for AWS Lambda's Logger behind the Log interface the code calls.
// It writes one JSON line per call with the level, the service (POWERTOOLS_SERVICE_NAME), the
// component (alarm, webhook, slack, worker), the Lambda context (function, request id, cold_start)
// and the correlation id of the work (the SQS message, the Slack or webhook request, the alarm
// delivery). Level: POWERTOOLS_LOG_LEVEL (default INFO).
//
// Redaction: every string of every line passes through lib/redact on its way out. The Logger's
// jsonReplacerFn runs on each value JSON.stringify meets, nested ones included and after an
// Error has been turned into { name, message, stack, cause }, so a secret inside an exception,
// an extra attribute or a key appended later is redacted as much as a field given here.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { cleanFields, logText, type Fields, type Log } from './log.ts';

export interface LambdaLog extends Log {
  /** The Powertools Logger behind it (Metrics reports its own problems through it). */
  readonly logger: Logger;
  /**
   * At the start of an invocation: forget the last one's keys, take the Lambda context
   * (function, request id, cold start) and the invocation's correlation id.
   */
  startInvocation(context: unknown, correlationId: string | null): void;
}

/** Keys Powertools reserves for itself (it would drop a field of that name): kept under another. */
const RESERVED = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

/** Stack traces keep more of their length than other values; everything is redacted. */
export function redactingReplacer(key: string, value: unknown): unknown {
  return typeof value === 'string' ? logText(value, key === 'stack' ? 2_000 : 400) : value;
}

const isContext = (c: unknown): c is Context =>
  typeof c === 'object' && c !== null && typeof (c as Partial<Context>).awsRequestId === 'string' && typeof (c as Partial<Context>).functionName === 'string';

export function createLambdaLog(component: string): LambdaLog {
  const logger = new Logger({
    serviceName: process.env['POWERTOOLS_SERVICE_NAME'] || 'leakhound',
    persistentKeys: { component },
    jsonReplacerFn: redactingReplacer,
  });
  const emit = (write: (message: string, extra: Record<string, unknown>) => void) => (message: string, fields: Fields = {}) => {
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cleanFields(fields))) extra[RESERVED.has(k) ? `${k}_field` : k] = v;
    write(logText(message), extra);
  };
  return {
    logger,
    info: emit((m, e) => logger.info(m, e)),
    warn: emit((m, e) => logger.warn(m, e)),
    error: emit((m, e) => logger.error(m, e)),
    startInvocation(context, correlationId) {
      logger.resetKeys();
      if (isContext(context)) logger.addContext(context);
      if (correlationId) logger.setCorrelationId(logText(correlationId, 200));
    },
  };
}
