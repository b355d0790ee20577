// One JSON line per event, so CloudWatch Logs Insights can filter on fields. Text that came from
// outside (a payload's error, an exception message) is redacted and clipped before it is logged:
// a bad record is logged by its reason, never by its content. In Lambda the lines are written by
// Powertools' Logger (lambda-log.ts); this file holds the interface the code calls, the one
// field cleaning both writers share, and a plain writer (tests, memoryLog).

import { redact } from '../redact/index.ts';
import { currentCorrelationId } from './correlation.ts';

export type Fields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export interface Log {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/** Outside text as one log value: redacted first (lib/redact), then on one line and clipped to `max`. */
export function logText(text: string, max = 400): string {
  const out = redact(text).replace(/[\r\n\t]+/g, ' ');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/**
 * A call's fields as logged: undefined dropped, strings redacted and clipped, lists cut to 20
 * items, and the correlation id of the work in progress (withCorrelationId) added.
 */
export function cleanFields(fields: Fields): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    clean[k] = typeof v === 'string' ? logText(v) : Array.isArray(v) ? v.slice(0, 20).map((s) => logText(String(s), 120)) : v;
  }
  const correlationId = currentCorrelationId();
  if (correlationId !== undefined) clean['correlation_id'] = logText(correlationId, 200);
  return clean;
}

/** A Log writing one JSON line per call to `write` (no Powertools: tests, memoryLog). */
export function createLog(component: string, write: (line: string) => void = (l) => console.log(l)): Log {
  const emit = (level: string) => (message: string, fields: Fields = {}) => {
    write(JSON.stringify({ level, component, msg: logText(message), ...cleanFields(fields) }));
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
