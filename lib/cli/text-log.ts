// The worker's Log (lib/lambda/log.ts writes JSON lines for CloudWatch Logs Insights) as one
// readable line per event for a terminal: warnings and errors, info only when asked for. Text is
// redacted and clipped the same way.
import { logText, type Fields, type Log } from '../lambda/index.ts';

export interface TextLogOptions {
  write?: (line: string) => void;
  /** Also the info events (each job done). */
  verbose?: boolean;
}

export function textLog(prefix: string, options: TextLogOptions = {}): Log {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: string) => (message: string, fields: Fields = {}) => {
    const detail = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => logText(String(x), 120)).join(', ') : typeof v === 'string' ? logText(v) : String(v)}`);
    write(`${prefix}: ${level === 'info' ? '' : `${level}: `}${logText(message)}${detail.length ? ` (${detail.join('; ')})` : ''}`);
  };
  const info = emit('info');
  return { info: options.verbose ? info : () => undefined, warn: emit('warning'), error: emit('error') };
}
