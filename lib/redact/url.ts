// URLs with credentials: in free text (`redactUrlsIn`) and as one URL to print (`redactUrl`).
//
// In text, a password may hold `/`, `@` and `:` that were never percent-encoded
// (`postgres://app:p@ss/w:rd@db/app`), so the userinfo is taken to run to the LAST `@` of the
// URL-like run: more may be hidden than the password, never less. A scan with indexOf instead of
// a regular expression, because a regex that looks for "the last @" backtracks quadratically on
// runs of `x://` without one.
import { MARK } from './shapes.ts';

const SCHEME_BEFORE = /[A-Za-z][A-Za-z0-9+.-]{0,31}$/;
/** Where a URL-like run ends in text: white space, quotes, Slack's <…> and code spans. */
const RUN_END = /[\s"'<>`]/;

/** Replaces the password (everything after the first `:` of the userinfo) of every URL in `text`. */
export function redactUrlsIn(text: string): string {
  let out = '';
  let from = 0;
  let at = text.indexOf('://');
  while (at !== -1) {
    const scheme = SCHEME_BEFORE.exec(text.slice(Math.max(from, at - 32), at));
    const authority = at + 3;
    let end = authority;
    while (end < text.length && !RUN_END.test(text[end]!)) end++;
    // Within the run only: searching back from `end` over the whole text would be quadratic.
    const inRun = scheme ? text.slice(authority, end).lastIndexOf('@') : -1;
    const lastAt = authority + inRun;
    if (inRun !== -1) {
      const userinfo = text.slice(authority, lastAt);
      const colon = userinfo.indexOf(':');
      if (colon !== -1 && !userinfo.slice(colon + 1).startsWith(MARK) && userinfo.slice(colon + 1) !== '***') {
        out += `${text.slice(from, authority)}${userinfo.slice(0, colon)}:${MARK}`;
        from = lastAt;
      }
    }
    at = text.indexOf('://', Math.max(end, at + 3));
  }
  return out + text.slice(from);
}

const SECRET_PARAMS = new Set(['password', 'sslpassword', 'pass', 'passwd', 'token', 'access_token', 'secret', 'api_key', 'apikey', 'x-amz-signature', 'x-amz-security-token', 'x-amz-credential', 'sig', 'signature']);

/**
 * A URL to print: password and password-like query parameters replaced by `***`. A URL that does
 * not parse, or whose authority was cut by an unencoded `/ ? #` in the password (an `@` after the
 * host), is shown by its scheme only: the rest may be a password pasted in the wrong place.
 */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return unparsable(raw);
  }
  if (`${u.pathname}${u.search}${u.hash}`.includes('@')) return unparsable(raw);
  if (u.password) u.password = '***';
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAMS.has(key.toLowerCase())) u.searchParams.set(key, '***');
  }
  return u.toString();
}

function unparsable(raw: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1];
  return scheme ? `${scheme}://<unparsable>` : '<unparsable url>';
}

/** A URL without any userinfo at all (dump locations, redirect targets). */
export function withoutUserinfo(url: string | URL): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return redactUrlsIn(String(url));
  }
}
