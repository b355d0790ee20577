// The production Log (lib/lambda/log.ts, redaction and clipping included) writing into an array
// instead of stdout, so a test can assert what would have reached CloudWatch Logs.
import { createLog, type Log } from '../../lib/lambda/log.ts';

export function memoryLog(): Log & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLog('test', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  return Object.assign(log, { lines });
}
