// Dumps are read as latin1 (one byte = one char: fast, and chunk borders cannot split a
// character). Text that leaves the reader (paths, function names, labels) is turned back into
// the UTF-8 the runtime wrote.
export function utf8FromLatin1(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
}

/** Something that takes a dump one line at a time (without the newline). */
export interface LineReader {
  line(text: string): void;
}
