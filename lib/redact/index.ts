// The one redaction every output goes through: logs, Slack text and blocks, audit entries,
// approval history, evidence metadata, CLI messages and errors. `redact` removes credentials by
// shape (shapes.ts), by URL userinfo (url.ts) and by value (the process's own secrets and any
// the caller knows, known.ts). It never clips or reformats: callers clip AFTER redacting, so a
// secret is never cut in half where no rule would recognise the rest.
import { knownForms, processSecrets, replaceKnown, secretsOfEnv } from './known.ts';
import { MARK, SHAPES, redactLongTokens } from './shapes.ts';
import { redactUrlsIn } from './url.ts';

export { MARK } from './shapes.ts';
export { redactUrl, withoutUserinfo } from './url.ts';
export { escapeControl, escapeControlKeepLines } from './terminal.ts';
export { secretsOfEnv } from './known.ts';

/** The names of the shapes recognised, for documentation and tests. */
export const SHAPE_NAMES: readonly string[] = ['url-userinfo', ...SHAPES.map((s) => s.name), 'aws-secret-access-key', 'opaque-token', 'process-secrets'];

export interface RedactOptions {
  /** Further secret values to remove (a database password): any of 3 characters or more. */
  known?: readonly string[];
}

/** `text` with every credential it holds replaced by `[redacted]`. */
export function redact(text: string, options: RedactOptions = {}): string {
  if (text === '') return text;
  let out = replaceKnown(text, processSecrets.forms(), MARK);
  if (options.known?.length) out = replaceKnown(out, knownForms(options.known, 3), MARK);
  out = redactUrlsIn(out);
  for (const shape of SHAPES) {
    if (!shape.hint.test(out)) continue;
    shape.pattern.lastIndex = 0;
    out = out.replace(shape.pattern, shape.replace as (m: string, ...g: string[]) => string);
  }
  return redactLongTokens(out);
}

export interface RedactDeepOptions extends RedactOptions {
  /** Keys whose string values are ids the program made (button values, action ids): left as they are. */
  skipKeys?: ReadonlySet<string>;
}

/** Every string in a JSON-like value redacted; the shape of the value is kept. */
export function redactDeep<T>(value: T, options: RedactDeepOptions = {}): T {
  const walk = (v: unknown, key: string | null): unknown => {
    if (typeof v === 'string') return key !== null && options.skipKeys?.has(key) ? v : redact(v, options);
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return walk(value, null) as T;
}

/**
 * Adds secrets this process loaded outside its environment (the Secrets Manager object), or the
 * secrets of an environment object: from then on they are redacted everywhere.
 */
export function rememberSecrets(values: Iterable<string> | Readonly<Record<string, string | undefined>>): void {
  processSecrets.remember(isIterable(values) ? values : secretsOfEnv(values));
}

/** Re-read the environment on the next redaction (a variable was just set; tests). */
export function refreshProcessSecrets(): void {
  processSecrets.refresh();
}

function isIterable(v: unknown): v is Iterable<string> {
  return typeof v === 'object' && v !== null && Symbol.iterator in v;
}
