// Text from files, URLs and payloads on its way to a terminal: control characters are shown as
// escapes, so a dump holding `ESC ]0;…` cannot set the window title, move the cursor or hide
// what follows, and bidirectional overrides cannot reorder what the reader sees. By hand: the
// packages that exist strip ANSI sequences (strip-ansi) but leave the other C0/C1 controls and
// the bidi overrides, and stripping hides that something was there.

// C0 controls, DEL, C1 controls (0x9b is a one-byte CSI), bidi embeddings/overrides/isolates,
// the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line for a terminal: every control character, new lines included, as a visible escape. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/** Several lines for a terminal: new lines and tabs stay, every other control is escaped. */
export function escapeControlKeepLines(text: string): string {
  return text.replace(CONTROL_BUT_LINES, escapeOne);
}
