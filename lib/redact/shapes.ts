// The shapes a credential takes in text that reaches a person: command output, driver and
// platform errors, alert names, dump labels, pasted commands. Each rule is one regular
// expression over the whole text, written so it runs in linear time (no unbounded quantifier
// next to another one over the same characters; see the fuzz target `outgoing-text`, which
// times every rule on 64 KB adversarial inputs). Shapes follow gitleaks' rules where it has one.
//
// Written here because no maintained npm package redacts text synchronously with these shapes:
// secretlint is an asynchronous file linter, pino's redact and fast-redact work on object paths,
// @npmcli/redact knows npm's own tokens only.

export const MARK = '[redacted]';

export interface SecretShape {
  name: string;
  /** A cheap test that the text may hold this shape at all; most text skips most rules. */
  hint: RegExp;
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

/** Key names whose value is a secret, in JSON, YAML, INI, env files, headers and query strings. */
const KEYWORD = String.raw`(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|signature|session[_-]?key|auth[_-]?key|x-api-key)`;
/** Any key that may name a secret; the hint of the key/value rules. */
const KEY_HINT = /pass|pwd|secret|token|key|credential|signature/i;
/** The rest of a key after its keyword (`_hash`, `Id`), bounded so a long run cannot make it quadratic. */
const KEY_TAIL = String.raw`[A-Za-z0-9_.-]{0,40}`;

/** A value already replaced is left alone, so redacting twice changes nothing. */
const keep = (value: string): boolean => value === '' || value.startsWith(MARK) || value === '***';

export const SHAPES: readonly SecretShape[] = [
  {
    // -----BEGIN RSA PRIVATE KEY----- … -----END RSA PRIVATE KEY-----, or to the end when cut.
    name: 'pem-private-key',
    hint: /PRIVATE KEY/,
    pattern: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replace: () => `-----BEGIN PRIVATE KEY----- ${MARK} -----END PRIVATE KEY-----`,
  },
  {
    // `password: correct horse battery staple` on its own line (YAML; INI with ` = `): the value may hold
    // spaces. (`key=value` without spaces is the bare form below, which stops at `&`.)
    name: 'secret-line',
    hint: KEY_HINT,
    pattern: new RegExp(String.raw`^([ \t]*-?[ \t]*["']?[A-Za-z0-9_.-]{0,40}${KEYWORD}${KEY_TAIL}["']?(?:[ \t]*:|[ \t]*=[ \t]|[ \t]+=)[ \t]*)([^ \t\r\n"'][^\r\n]*)$`, 'gim'),
    replace: (m, head: string, value: string) => (keep(value.trim()) ? m : `${head}${MARK}`),
  },
  {
    // Authorization: Bearer …, Proxy-Authorization: Basic …, "authorization":"AWS4-HMAC-SHA256 …".
    name: 'authorization-header',
    hint: /authorization/i,
    pattern: /\b((?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?)((?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256|[A-Za-z0-9-]{1,20})[ \t]+)?([^\r\n"'\\]+)/gi,
    replace: (m, head: string, scheme: string | undefined, value: string) => (keep(value) ? m : `${head}${scheme ?? ''}${MARK}`),
  },
  {
    // "Bearer eyJ…", "Basic dXNlcjpwYXNz" anywhere; the credential must look like one (not "Basic setup").
    name: 'bearer-basic',
    hint: /Bearer|Basic/,
    pattern: /\b(Bearer|Basic)([ \t]+)([A-Za-z0-9._~+/=-]{8,})/g,
    replace: (m, scheme: string, space: string, value: string) =>
      /[0-9=+/._~-]/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value)) ? `${scheme}${space}${MARK}` : m,
  },
  {
    // --password X, --password=X, --token X, mysql's -pX (no space: with one, -p prompts).
    name: 'command-line-flag',
    hint: /-(?:pass|pwd|token|secret|api|access|auth|client)/i,
    pattern: /(^|[\s"'=])(--?(?:password|passwd|pass|pwd|token|secret|api-key|apikey|access-key|secret-key|auth-token|client-secret))(=|[ \t]+)(?!-)([^\s"']+)/gim,
    replace: (m, lead: string, flag: string, sep: string, value: string) => (keep(value) ? m : `${lead}${flag}${sep}${MARK}`),
  },
  {
    name: 'mysql-short-password-flag',
    hint: /-p/,
    pattern: /(^|[\s"'])-p([^\s"'-][^\s"']*|'[^']*'|"[^"]*")/gm,
    replace: (m, lead: string, value: string) => (keep(value) ? m : `${lead}-p${MARK}`),
  },
  {
    // Go MySQL driver DSN: user:pw@tcp(host:3306)/db; the password may hold ':' '@' '/'.
    name: 'go-mysql-dsn',
    hint: /@(?:tcp6?|unix|udp)\(/,
    pattern: /(?<![A-Za-z0-9_.$-])([A-Za-z0-9_.$-]{1,64}):(\S{0,256}?)@((?:tcp6?|unix|udp)\()/g,
    replace: (m, user: string, pw: string, proto: string) => (keep(pw) ? m : `${user}:${MARK}@${proto}`),
  },
  {
    // key=value, key: value, "key": "value", 'key' => 'value', libpq password='a b'.
    name: 'secret-key-value',
    hint: KEY_HINT,
    pattern: new RegExp(
      // Values: "…" with JSON escapes; \"…\" (any depth of escaping: JSON inside a JSON string,
      // inside a script); '…'; bare.
      String.raw`(${KEYWORD}${KEY_TAIL}\\*["']?[ \t]*(?:=>|:|=)[ \t]*)(?:"((?:[^"\\\r\n]|\\.)*)"|(\\+)"([^"\r\n]*?)\\+"|'((?:[^'\\\r\n]|\\.)*)'|([^\s"'&,;<>]+))`,
      'gi',
    ),
    replace: (m, head: string, dq: string | undefined, slashes: string | undefined, escaped: string | undefined, sq: string | undefined, bare: string | undefined) => {
      if (dq !== undefined) return keep(dq) ? m : `${head}"${MARK}"`;
      if (slashes !== undefined) return keep(escaped ?? '') ? m : `${head}${slashes}"${MARK}${slashes}"`;
      if (sq !== undefined) return keep(sq) ? m : `${head}'${MARK}'`;
      return keep(bare ?? '') ? m : `${head}${MARK}`;
    },
  },
  {
    name: 'slack-token',
    hint: /xox|xapp/,
    pattern: /(xox[a-z]|xapp)-[A-Za-z0-9-]{10,}/g, // also glued to other text
    replace: (_m, prefix: string) => `${prefix}-${MARK}`,
  },
  {
    name: 'slack-webhook-url',
    hint: /hooks\.slack\.com/,
    pattern: /\bhooks\.slack\.com\/(services|workflows|triggers)\/[A-Za-z0-9_/+-]+/g,
    replace: (_m, kind: string) => `hooks.slack.com/${kind}/${MARK}`,
  },
  {
    name: 'github-token',
    hint: /gh[pousr]_|github_pat_/,
    pattern: /\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}/g,
    replace: (_m, prefix: string) => `${prefix}${MARK}`,
  },
  {
    // header.payload.signature, both JSON parts base64url of `{"…`.
    name: 'jwt',
    hint: /eyJ/,
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
    replace: () => `${MARK}jwt`,
  },
  {
    name: 'aws-access-key-id',
    hint: /A(?:KIA|SIA|BIA|CCA|3T)/,
    pattern: /\b(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b/g,
    replace: (_m, prefix: string) => `${prefix}${MARK}`,
  },
];

/**
 * Long base64 runs, found by one scan instead of a regular expression (V8 tries a `{40,}` run at
 * every position: tens of nanoseconds a character, on every log field). Two shapes:
 * - `aws-secret-access-key`: exactly 40 characters of [A-Za-z0-9+/] with upper- and lower-case
 *   letters and digits (a git SHA-1 is lower-case hex and stays);
 * - `opaque-token`: 40 or more that look random (at least 4 digits, 4 upper- and 4 lower-case
 *   letters), so paths, CamelCase names and hex digests survive.
 */
export function redactLongTokens(text: string): string {
  let out = '';
  let from = 0;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (isTokenChar(c)) {
      if (start === -1) start = i;
      continue;
    }
    if (start !== -1 && i - start >= 40) {
      const run = text.slice(start, i);
      if (mixesAlphabets(run)) {
        const marked = redactMixedRun(run);
        if (marked !== run) {
          out += text.slice(from, start) + marked;
          from = i;
        }
      } else if (looksLikeToken(run)) {
        let end = i;
        while (end < text.length && text.charCodeAt(end) === 61 /* = */ && end - i < 2) end++;
        out += text.slice(from, start) + MARK;
        from = end;
      }
    }
    start = -1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * Standard base64 (`+` `/`) and base64url (`-` `_`) never mix inside one token, so a run with
 * both is several things joined: a path (`/tmp/leakhound-demo-1234-GnGL5I/restart-billing-api`,
 * whose random suffix made the whole path look like a token), or a token beside a word. Each
 * piece between one alphabet's separators is judged alone, for both alphabets, so a token of
 * either kind is still caught and the words around it stay.
 */
function mixesAlphabets(run: string): boolean {
  return /[+/]/.test(run) && /[-_]/.test(run);
}

function redactMixedRun(run: string): string {
  const marks: Array<[number, number]> = [];
  for (const separators of [/[+/]/g, /[-_]/g]) {
    let from = 0;
    for (const m of [...run.matchAll(separators), { index: run.length }]) {
      const to = m.index ?? run.length;
      if (to - from >= 40 && looksLikeToken(run.slice(from, to))) marks.push([from, to]);
      from = to + 1;
    }
  }
  if (marks.length === 0) return run;
  marks.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of marks) {
    if (to <= at) continue;
    out += run.slice(at, Math.max(at, from)) + (from >= at ? MARK : '');
    at = to;
  }
  return out + run.slice(at);
}

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 95 || c === 45;
}

function looksLikeToken(run: string): boolean {
  let digits = 0;
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
  }
  const awsSecret = run.length === 40 && !/[_-]/.test(run) && digits > 0 && upper > 0 && lower > 0;
  // A path (`a//b`) is not a token of unknown shape.
  return awsSecret || (digits >= 4 && upper >= 4 && lower >= 4 && !run.includes('//'));
}
