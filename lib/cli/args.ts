// Thin wrapper over node:util parseArgs that turns its exceptions into CliErrors, and the zod
// checks of option values (a problem names the option).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { CliError } from './errors.ts';
import { errorMessage } from '../errors/index.ts';

export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new CliError(errorMessage(err));
  }
}

export function oneOf<const V extends string>(flag: string, value: string | undefined, allowed: readonly V[], fallback: V): V {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as V;
  throw new CliError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
}

/** Milliseconds in durations such as 30s, 5m, 1h, 250ms or a bare number of seconds; null if not one. */
function durationMs(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) return null;
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Number(m[1]) * factor;
}

/** Parses durations such as 30s, 5m, 1h, 250ms or a bare number of seconds. */
export function parseDuration(flag: string, value: string): number {
  const ms = durationMs(value);
  if (ms === null) throw new CliError(`--${flag} must be a duration like 30s, 5m or 1h (got "${value}")`);
  return ms;
}

/** A duration option, in milliseconds. */
export const durationOption = z.string().transform((value, ctx) => {
  const ms = durationMs(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `must be a duration like 30s, 5m or 1h (got "${value}")` });
    return z.NEVER;
  }
  return ms;
});

/** Checks parsed option values with `schema`; the first problem is a CliError naming its option. */
export function validOptions<S extends z.ZodType>(schema: S, values: unknown): z.infer<S> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new CliError(`${issue.path.length ? `--${issue.path.join('.')} ` : ''}${issue.message}`);
}
