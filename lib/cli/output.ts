// Everything the CLI prints goes through here: redacted (lib/redact) and with control characters
// from the data shown as escapes, so a dump, a URL or an alert file cannot drive the terminal
// (set its title, move the cursor, hide text) nor get a password printed back.
import { escapeControl, escapeControlKeepLines, redact, redactDeep, redactUrl } from '../redact/index.ts';

/** A report or table for stdout: lines and tabs kept, every other control escaped. */
export function terminalText(text: string): string {
  return escapeControlKeepLines(redact(text));
}

/** One line for stderr (an error): new lines escaped too. */
export function terminalLine(text: string): string {
  return escapeControl(redact(text));
}

/** C1 controls, bidi controls and the Unicode line separators JSON.stringify leaves raw. */
const JSON_RAW_CONTROLS = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON for stdout: every string redacted, and no raw control character (escaped the JSON way). */
export function terminalJson(value: unknown): string {
  return JSON.stringify(redactDeep(value), null, 2).replace(JSON_RAW_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** How an input is named in messages: a URL without its password, a path as given (escaped when printed). */
export function inputName(source: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? redactUrl(source) : source;
}
