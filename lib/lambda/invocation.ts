// One function's telemetry (its Powertools log and metrics, made once per container at module
// load) and the frame every handler runs in: the Lambda context and the invocation's correlation
// id go on each log line, and the metrics stored during the invocation are written at its end,
// failed invocations included.
import { createLambdaLog, type LambdaLog } from './lambda-log.ts';
import { createLambdaMeter, type LambdaMeter } from './lambda-metrics.ts';

export interface Telemetry {
  log: LambdaLog;
  meter: LambdaMeter;
}

export function createTelemetry(component: string): Telemetry {
  const log = createLambdaLog(component);
  return { log, meter: createLambdaMeter(log) };
}

export async function invocation<T>(telemetry: Telemetry, context: unknown, correlationId: string | null, work: () => Promise<T>): Promise<T> {
  telemetry.log.startInvocation(context, correlationId);
  try {
    return await work();
  } finally {
    telemetry.meter.flush();
  }
}

/** The id API Gateway gives a request (HTTP API v2 and REST v1 events alike). */
export function apiRequestId(event: unknown): string | null {
  const id = (event as { requestContext?: { requestId?: unknown } } | null)?.requestContext?.requestId;
  return typeof id === 'string' && id.length > 0 ? id : null;
}
