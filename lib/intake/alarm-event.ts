// The alarm function's work: an SNS event (one or more records, each a CloudWatch alarm message)
// or an EventBridge "CloudWatch Alarm State Change" event → alerts → incidents and jobs. A record
// that is not an alarm is logged by its reason and skipped; a record that could not be stored
// (DynamoDB or SQS down) makes the invocation fail so Lambda retries it, while the records
// already handled are recognised by their message id and not counted twice.
import { parseAlerts } from '../alerts/index.ts';
import type { AlertSource } from '../alerts/index.ts';
import { ingestAlerts, summarise, type IngestDeps, type RouteOutcome } from './ingest.ts';
import { errorMessage } from '../errors/index.ts';
import { logText } from '../lambda/index.ts';

export interface AlarmEventResult {
  records: number;
  bad: number;
  duplicates: number;
  routes: RouteOutcome[];
}

interface Unit {
  label: string;
  payload: unknown;
  source: AlertSource;
  /** Idempotency key of the delivery (SNS MessageId, EventBridge event id). */
  key: string | null;
}

/** A delivery is acted on once within a day (SNS and EventBridge deliver at least once). */
const DEDUPE_SECONDS = 24 * 3600;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : null);

function unitsOf(event: unknown): Unit[] | null {
  if (!isRecord(event)) return null;
  if (Array.isArray(event['Records'])) {
    return event['Records'].map((record, i) => {
      const id = isRecord(record) && isRecord(record['Sns']) ? text(record['Sns']['MessageId']) : null;
      return { label: `Records[${i}]`, payload: { Records: [record] }, source: 'cloudwatch-sns', key: id && `sns:${id}` };
    });
  }
  if (event['detail-type'] === 'CloudWatch Alarm State Change') {
    const id = text(event['id']);
    return [{ label: 'event', payload: event, source: 'cloudwatch-eventbridge', key: id && `eventbridge:${id}` }];
  }
  // A CloudWatch alarm action invoking the function directly: the alarm body under `alarmData`.
  if (event['source'] === 'aws.cloudwatch' && isRecord(event['alarmData'])) {
    const arn = text(event['alarmArn']);
    const state = isRecord(event['alarmData']['state']) ? text(event['alarmData']['state']['timestamp']) : null;
    return [{ label: 'alarm action', payload: event, source: 'cloudwatch-eventbridge', key: arn && state && `alarm-action:${arn}:${state}` }];
  }
  return null;
}

/** The delivery's id, the log lines' correlation id: the SNS message id (the first record's), the EventBridge event id. */
export function deliveryId(event: unknown): string | null {
  const key = unitsOf(event)?.[0]?.key ?? null;
  return key && key.replace(/^[a-z-]+:/, '');
}

export async function handleAlarmEvent(event: unknown, deps: IngestDeps): Promise<AlarmEventResult> {
  const result: AlarmEventResult = { records: 0, bad: 0, duplicates: 0, routes: [] };
  const units = unitsOf(event);
  if (units === null) {
    deps.log.warn('not an SNS or EventBridge alarm event; ignored', { keys: isRecord(event) ? Object.keys(event).slice(0, 10) : [typeof event] });
    return result;
  }
  const failed: string[] = [];
  for (const unit of units) {
    result.records++;
    const parsed = parseAlerts(unit.payload, unit.source);
    if (!parsed.ok) {
      result.bad++;
      deps.log.warn('record skipped', { record: unit.label, reason: parsed.error.message });
      continue;
    }
    if (unit.key && !(await deps.store.claim(unit.key, DEDUPE_SECONDS))) {
      result.duplicates++;
      continue;
    }
    try {
      result.routes.push(...(await ingestAlerts(parsed.alerts, deps)));
    } catch (err) {
      if (unit.key) await deps.store.release(unit.key).catch(() => {});
      failed.push(`${unit.label}: ${logText(errorMessage(err))}`);
    }
  }
  deps.log.info('alarm event handled', { records: result.records, bad: result.bad, duplicates: result.duplicates, ...summarise(result.routes) });
  if (failed.length) throw new Error(`${failed.length} of ${units.length} records could not be recorded (retried by Lambda): ${failed.join('; ')}`);
  return result;
}
