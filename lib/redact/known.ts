// Secrets known by value: those of this process's environment (tokens, signing secrets, the
// passwords in database URLs) and those a function loads at start (the Secrets Manager object,
// which never enters process.env). Whatever shape they have, they are replaced wherever they
// appear, also percent-encoded or JSON-escaped.

/** Variable names that hold a secret. PWD/OLDPWD are the working directory, not a password. */
const SECRET_NAME = /pass(word|wd|phrase)|(^|_)pass($|_)|(^|_)pw$|secret|token|credential|private_?key|api_?key|access_?key|signing|hmac|kubeconfig|(^|_)auth($|_)/i;
/** Names that hold where a secret is, not the secret. */
const NOT_A_SECRET = /^(OLD)?PWD$|_(FILE|PATH|SOCK|DIR|URI|ARN|ID|NAME|TYPE|REGION)$/i;
/** Shorter values are words ("true", "prod"); replacing them everywhere would garble text. */
const MIN_LENGTH = 6;

/** Secret values in an environment: secret-named variables, their list items, URL passwords. */
export function secretsOfEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const found = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAME.test(name) && !NOT_A_SECRET.test(name)) {
      found.add(value.trim());
      // ALERTMANAGER_TOKEN=old,new while rotating; a kubeconfig's `token:` and `*-data:` lines.
      for (const part of value.split(',')) found.add(part.trim());
      for (const m of value.matchAll(/^\s*(?:token|password|[a-z-]*-data|secret)\s*:\s*["']?([^\s"']+)/gim)) found.add(m[1]!);
    }
    for (const m of value.matchAll(/:\/\/[^\s:/@]*:([^\s@]+)@/g)) {
      found.add(m[1]!);
      try {
        found.add(decodeURIComponent(m[1]!));
      } catch {
        // Not percent-encoded: the raw form is enough.
      }
    }
  }
  return [...found].filter((s) => s.length >= MIN_LENGTH);
}

/** Each secret with the forms it takes inside a URL and inside a JSON string; longest first. */
export function knownForms(secrets: Iterable<string>, minLength = MIN_LENGTH): string[] {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < minLength) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * The process's own secrets: its environment plus what `rememberSecrets` was given (secrets
 * loaded at start-up). The environment is read again at most once a second: reading
 * process.env costs tens of microseconds, and redact runs for every log field.
 */
class ProcessSecrets {
  private remembered = new Set<string>();
  private readAt = -Infinity;
  private cached: string[] = [];

  remember(values: Iterable<string>): void {
    for (const v of values) if (v.length >= MIN_LENGTH) this.remembered.add(v);
    this.refresh();
  }

  forms(): string[] {
    const now = performance.now();
    if (now - this.readAt > 1_000) {
      this.readAt = now;
      this.cached = knownForms([...secretsOfEnv(process.env), ...this.remembered]);
    }
    return this.cached;
  }

  /** Read the environment again on the next call (a variable was just set). */
  refresh(): void {
    this.readAt = -Infinity;
  }
}

export const processSecrets = new ProcessSecrets();

export function replaceKnown(text: string, forms: readonly string[], mark: string): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(mark);
  return out;
}
