// HTML text from untrusted strings. Everything on the page comes from a dump, the database or an
// alert (function names, labels, application names, fingerprints): it is redacted by the one
// redaction (lib/redact) and then escaped for text and attribute contexts alike.
import { redact } from '../redact/index.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes for element text and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A text renderer bound to the secrets the caller knows. */
export function textOf(known: readonly string[] = []): (s: string | number | null | undefined) => string {
  const options = known.length ? { known } : {};
  // Stacks repeat the same function names and files thousands of times: each is redacted once.
  const cache = new Map<string, string>();
  return (s) => {
    if (s === null || s === undefined) return '';
    if (typeof s === 'number') return escapeHtml(String(s));
    let out = cache.get(s);
    if (out === undefined) {
      // Control characters (a terminal escape pasted into a dump) are shown, not obeyed.
      // eslint-disable-next-line no-control-regex
      out = escapeHtml(redact(s, options).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
      if (cache.size < 50_000) cache.set(s, out);
    }
    return out;
  };
}
