// Bolt's logger interface over Leakhound's Log, so what Bolt and the Slack app log (refused
// requests, listener errors) goes out as the function's structured, redacted log lines instead
// of Bolt's plain console text. Bolt's debug and info become info lines, when its level asks.
import { LogLevel, type Logger } from '@slack/bolt';
import type { Log } from '../../lambda/log.ts';

const RANK: Record<LogLevel, number> = { [LogLevel.DEBUG]: 0, [LogLevel.INFO]: 1, [LogLevel.WARN]: 2, [LogLevel.ERROR]: 3 };

const text = (parts: unknown[]): string =>
  parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : (JSON.stringify(p) ?? String(p)))).join(' ');

export function boltLogger(log: Log, initial: LogLevel = LogLevel.WARN): Logger {
  let level = initial;
  let name = 'bolt';
  const at = (threshold: LogLevel, write: (message: string, fields: { from: string }) => void) => (...parts: unknown[]) => {
    if (RANK[threshold] >= RANK[level]) write(text(parts), { from: name });
  };
  return {
    debug: at(LogLevel.DEBUG, (m, f) => log.info(m, f)),
    info: at(LogLevel.INFO, (m, f) => log.info(m, f)),
    warn: at(LogLevel.WARN, (m, f) => log.warn(m, f)),
    error: at(LogLevel.ERROR, (m, f) => log.error(m, f)),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: (n) => void (name = n),
  };
}
