// One JSON line per event, so CloudWatch Logs Insights can filter on fields. Text that came from
// outside (a payload's error, an exception message) is redacted and clipped before it is logged:
// a bad record is logged by its reason, never by its content.

import { scrubCredentials } from '../sessions/target.ts';

export type Fields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export interface Log {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/** On top of scrubCredentials (URL passwords, Slack tokens, key=value secrets, AWS key ids). */
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  // "password": "…" in JSON and key: value, with any prefix (PGPASSWORD, X-Slack-Signature).
  [/\b([A-Za-z_]*(?:password|passwd|pwd|secret|token|signature))(["']?\s*[=:]\s*["']?)([^\s&;,"']+)/gi, '$1$2[redacted]'],
  // Long base64/hex runs (signatures, keys, tokens of unknown shape); names with dashes survive.
  [/[A-Za-z0-9+/]{40,}={0,2}/g, '[redacted]'],
];

/** Removes anything shaped like a credential and clips to `max` characters. */
export function redact(text: string, max = 400): string {
  let out = scrubCredentials(text);
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  out = out.replace(/[\r\n\t]+/g, ' ');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

export const describeError = (err: unknown): string => redact(err instanceof Error ? err.message : String(err));

export function createLog(component: string, write: (line: string) => void = (l) => console.log(l)): Log {
  const emit = (level: string) => (message: string, fields: Fields = {}) => {
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      clean[k] = typeof v === 'string' ? redact(v) : Array.isArray(v) ? v.slice(0, 20).map((s) => redact(String(s), 120)) : v;
    }
    write(JSON.stringify({ level, component, msg: redact(message), ...clean }));
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** For tests: a Log that keeps its lines. */
export function memoryLog(): Log & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLog('test', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  return Object.assign(log, { lines });
}
