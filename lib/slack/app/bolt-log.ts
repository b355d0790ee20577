// Bolt's logger interface over Leakhound's Log, so what Bolt and the Slack app log (refused
// requests, listener errors) goes out as the function's structured, redacted log lines instead
// of Bolt's plain console text. Bolt's debug and info become info lines, when its level asks.
// Types only from Bolt: functions/slack.ts imports this at load, and Bolt itself must stay in the
// chunk that loads on the first request (its level names are the strings 'debug' … 'error').
import type { Logger, LogLevel } from '@slack/bolt';
import type { Log } from '../../lambda/index.ts';

const RANK: Record<`${LogLevel}`, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const WARN = 'warn' as LogLevel;

const text = (parts: unknown[]): string =>
  parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : (JSON.stringify(p) ?? String(p)))).join(' ');

export function boltLogger(log: Log, initial: LogLevel = WARN): Logger {
  let level = initial;
  let name = 'bolt';
  const at = (threshold: LogLevel, write: (message: string, fields: { from: string }) => void) => (...parts: unknown[]) => {
    if (RANK[threshold] >= RANK[level]) write(text(parts), { from: name });
  };
  return {
    debug: at('debug' as LogLevel, (m, f) => log.info(m, f)),
    info: at('info' as LogLevel, (m, f) => log.info(m, f)),
    warn: at(WARN, (m, f) => log.warn(m, f)),
    error: at('error' as LogLevel, (m, f) => log.error(m, f)),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: (n) => void (name = n),
  };
}
