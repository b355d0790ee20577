// Query fingerprinting: the last statement of a session may hold personal data, so every
// literal becomes `?` before the text leaves lib/sessions. A hand-written single-pass scanner
// (no backtracking regex) keeps it linear in the input, whatever the input is: pg_stat_activity
// truncates statements mid-token, so unterminated strings and comments are normal.
import { tagsOfComments, type SqlCommentTags } from './sql-comment.ts';

export type SqlDialect = 'postgres' | 'mysql';

export interface FingerprintOptions {
  /** Decides what `"…"`, backslashes, `#` and `$` mean. Defaults to postgres. */
  dialect?: SqlDialect;
  /** Longest fingerprint returned; longer ones are cut at a token and end with `…`. */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 1024;

type Kind = 'word' | 'lit' | 'ident' | 'op';
interface Token {
  text: string;
  kind: Kind;
  /** Whitespace or a comment preceded it. */
  space: boolean;
}

const CH_NL = 10;
const CH_SQUOTE = 39;
const CH_DQUOTE = 34;
const CH_BACKTICK = 96;
const CH_BACKSLASH = 92;
const CH_DOLLAR = 36;
const CH_DASH = 45;
const CH_SLASH = 47;
const CH_STAR = 42;
const CH_HASH = 35;
const CH_DOT = 46;
const CH_AMP = 38;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}
function isIdentChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === CH_DOLLAR;
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Index just past the closing quote (or the end of input when unterminated). */
function skipQuoted(s: string, start: number, quote: number, backslashEscapes: boolean): number {
  let i = start + 1;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (backslashEscapes && c === CH_BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === quote) {
      // A doubled quote is an escaped quote inside the literal.
      if (s.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return n;
}

function skipNumber(s: string, start: number): number {
  let i = start;
  const n = s.length;
  const hex = s.charCodeAt(start) === 48 && (s.charCodeAt(start + 1) | 32) === 120;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isDigit(c) || isLetter(c) || c === CH_DOT) {
      i++;
    } else if ((c === 43 || c === CH_DASH) && !hex && (s.charCodeAt(i - 1) | 32) === 101) {
      // exponent sign: 1e-5
      i++;
    } else {
      break;
    }
  }
  return i;
}

/** `comments`, when given, collects the block comments skipped (for sqlcommenter tags). */
function tokenize(s: string, dialect: SqlDialect, comments?: string[]): Token[] {
  const tokens: Token[] = [];
  const n = s.length;
  const mysql = dialect === 'mysql';
  let space = false;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const next = i + 1 < n ? s.charCodeAt(i + 1) : -1;
    // Each branch either skips (whitespace, comments) or sets the token and moves i past it.
    let text: string | null = null;
    let kind: Kind = 'lit';
    if (isSpace(c)) {
      i++;
    } else if (c === CH_DASH && next === CH_DASH && (!mysql || i + 2 >= n || isSpace(s.charCodeAt(i + 2)))) {
      // Comments vanish: they often carry ids (sqlcommenter, trace ids), never the statement's shape.
      const eol = s.indexOf('\n', i + 2);
      i = eol === -1 ? n : eol + 1;
    } else if (mysql && c === CH_HASH) {
      const eol = s.indexOf('\n', i + 1);
      i = eol === -1 ? n : eol + 1;
    } else if (c === CH_SLASH && next === CH_STAR) {
      const start = i;
      i = skipBlockComment(s, i, !mysql);
      comments?.push(s.slice(start, i));
    } else if (c === CH_SQUOTE) {
      i = skipQuoted(s, i, CH_SQUOTE, mysql);
      text = '?';
    } else if (c === CH_DQUOTE) {
      const end = skipQuoted(s, i, CH_DQUOTE, mysql);
      // PostgreSQL: a quoted identifier (a name, kept). MySQL: a string literal.
      if (mysql) text = '?';
      else [text, kind] = [s.slice(i, end), 'ident'];
      i = end;
    } else if (mysql && c === CH_BACKTICK) {
      const end = skipQuoted(s, i, CH_BACKTICK, false);
      [text, kind] = [s.slice(i, end), 'ident'];
      i = end;
    } else if (!mysql && c === CH_DOLLAR && isDigit(next)) {
      // $1 bind parameter
      i++;
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      text = '?';
    } else if (!mysql && c === CH_DOLLAR) {
      // $tag$ … $tag$ dollar quoting (the tag may be empty); a lone $ is an operator character.
      let j = i + 1;
      if (j < n && isLetter(s.charCodeAt(j))) {
        while (j < n && (isLetter(s.charCodeAt(j)) || isDigit(s.charCodeAt(j)))) j++;
      }
      if (j < n && s.charCodeAt(j) === CH_DOLLAR) {
        const tag = s.slice(i, j + 1);
        const close = s.indexOf(tag, j + 1);
        i = close === -1 ? n : close + tag.length;
        text = '?';
      } else {
        [text, kind] = ['$', 'op'];
        i++;
      }
    } else if (isDigit(c) || (c === CH_DOT && isDigit(next))) {
      i = skipNumber(s, i);
      text = '?';
    } else if (isLetter(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(s.charCodeAt(j))) j++;
      const after = j < n ? s.charCodeAt(j) : -1;
      if (j - i === 1 && after === CH_SQUOTE && 'eEbBxXnN'.includes(s[i]!)) {
        // Prefixed strings: E'…' (backslash escapes), B'…', X'…', N'…'.
        i = skipQuoted(s, j, CH_SQUOTE, mysql || (c | 32) === 101);
        text = '?';
      } else if (!mysql && j - i === 1 && (c | 32) === 117 && after === CH_AMP && s.charCodeAt(j + 1) === CH_SQUOTE) {
        // U&'…' Unicode-escaped string.
        i = skipQuoted(s, j + 1, CH_SQUOTE, false);
        text = '?';
      } else {
        [text, kind] = [s.slice(i, j), 'word'];
        i = j;
      }
    } else {
      [text, kind] = [s[i]!, 'op'];
      i++;
    }
    if (text === null) {
      space = true;
    } else {
      tokens.push({ text, kind, space });
      space = false;
    }
  }
  return tokens;
}

function skipBlockComment(s: string, start: number, nested: boolean): number {
  const n = s.length;
  let depth = 1;
  let i = start + 2;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === CH_STAR && s.charCodeAt(i + 1) === CH_SLASH) {
      depth--;
      i += 2;
      if (depth === 0) return i;
      continue;
    }
    if (nested && c === CH_SLASH && s.charCodeAt(i + 1) === CH_STAR) {
      depth++;
      i += 2;
      continue;
    }
    i++;
  }
  return n;
}

const CONSTANT_WORDS = new Set(['null', 'default', 'true', 'false']);

function isConstant(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'lit' || (t.kind === 'word' && CONSTANT_WORDS.has(t.text.toLowerCase())));
}

/**
 * If tokens[at] opens a list of constants (`(?, ?, NULL)` or `[?, ?]`), returns the index just
 * past its closing bracket and how many items it held; otherwise -1. Only constants and commas
 * are looked at, so a failed attempt costs no more than the constants it passed over.
 */
function constantList(tokens: Token[], at: number, open: string, close: string): { end: number; items: number } {
  if (tokens[at]?.text !== open) return { end: -1, items: 0 };
  let i = at + 1;
  let items = 0;
  while (isConstant(tokens[i])) {
    items++;
    i++;
    if (tokens[i]?.text === ',') i++;
    else break;
  }
  if (items > 0 && tokens[i]?.text === close && tokens[i - 1]?.text !== ',') return { end: i + 1, items };
  return { end: -1, items: 0 };
}

/** Collapses IN (?, ?, …) to IN (?), ARRAY[?, …] to ARRAY[?], and repeated VALUES rows to one. */
function collapseLists(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    out.push(t);
    i++;
    if (t.kind !== 'word') continue;
    const word = t.text.toLowerCase();
    if (word === 'in' || word === 'array') {
      const [open, close] = word === 'in' ? ['(', ')'] : ['[', ']'];
      const list = constantList(tokens, i, open!, close!);
      if (list.end !== -1) {
        out.push(tokens[i]!, { text: '?', kind: 'lit', space: false }, { text: close!, kind: 'op', space: false });
        i = list.end;
      }
    } else if (word === 'values') {
      const first = constantList(tokens, i, '(', ')');
      if (first.end === -1) continue;
      for (let k = i; k < first.end; k++) out.push(tokens[k]!);
      i = first.end;
      let more = false;
      while (tokens[i]?.text === ',') {
        const row = constantList(tokens, i + 1, '(', ')');
        if (row.end === -1) break;
        more = true;
        i = row.end;
      }
      if (more) out.push({ text: ',', kind: 'op', space: false }, { text: '...', kind: 'op', space: true });
    }
  }
  return out;
}

/**
 * Normalises one SQL statement: literals, numbers, quoted and dollar-quoted strings and bind
 * parameters become `?`, comments vanish, constant lists collapse, whitespace is squeezed.
 * Returns null for empty input (or input that is only comments).
 */
export function fingerprint(sql: string, options: FingerprintOptions = {}): string | null {
  return render(collapseLists(tokenize(sql, options.dialect ?? 'postgres')), options.maxLength ?? DEFAULT_MAX_LENGTH);
}

/** A statement as it may leave the process: its fingerprint and its sqlcommenter tags. */
export interface StatementReading {
  fingerprint: string | null;
  comment: SqlCommentTags | null;
}

/** One pass: the fingerprint (comments gone) and the route the statement's comment names. */
export function readStatement(sql: string, options: FingerprintOptions = {}): StatementReading {
  const comments: string[] = [];
  const tokens = collapseLists(tokenize(sql, options.dialect ?? 'postgres', comments));
  return { fingerprint: render(tokens, options.maxLength ?? DEFAULT_MAX_LENGTH), comment: tagsOfComments(comments) };
}

function render(tokens: Token[], maxLength: number): string | null {
  let out = '';
  for (const t of tokens) {
    const piece = out.length > 0 && t.space ? ' ' + t.text : t.text;
    if (out.length + piece.length > maxLength) return out + '…';
    out += piece;
  }
  return out.length > 0 ? out : null;
}

/** readStatement that remembers its answers, like cachedFingerprinter. */
export function cachedStatementReader(options: FingerprintOptions = {}): (sql: string | null | undefined) => StatementReading {
  const cache = new Map<string, StatementReading>();
  const none: StatementReading = { fingerprint: null, comment: null };
  return (sql) => {
    if (sql === null || sql === undefined || sql === '') return none;
    let r = cache.get(sql);
    if (r === undefined) {
      r = readStatement(sql, options);
      // Statements with a trace id in their comment never repeat: do not let them fill memory.
      if (cache.size < 10_000) cache.set(sql, r);
    }
    return r;
  };
}

/**
 * A fingerprinter that remembers its answers: in a snapshot hundreds of sessions of one pool
 * share the same few statements, so most look-ups are hits.
 */
export function cachedFingerprinter(options: FingerprintOptions = {}): (sql: string | null | undefined) => string | null {
  const cache = new Map<string, string | null>();
  return (sql) => {
    if (sql === null || sql === undefined || sql === '') return null;
    let fp = cache.get(sql);
    if (fp === undefined && !cache.has(sql)) {
      fp = fingerprint(sql, options);
      cache.set(sql, fp);
    }
    return fp ?? null;
  };
}
