// Dumps as people have them: behind a log prefix (journald, `kubectl logs --timestamps`, CRI
// `stdout F`, docker, CloudWatch), indented by a test runner, or as docker's JSON log lines.
// The first line that can only belong to a dump (a goroutine header, a debug=1 record or
// profile header) shows what stands in front of every line; that prefix is generalised (digits,
// times) and stripped from every line that carries it. Lines without it pass unchanged.

/** A line that starts a dump, wherever it stands in the line. */
// goleak ≥ 1.3 prints `Goroutine 62 in state select, with f on top of the stack:` and no
// runtime header; older goleak prints both.
const DECISIVE =
  /(goroutine(?:leak)? profile: total \d+|goroutine \d+(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[[^\]]*\].*:\s*$|Goroutine \d+ in state [^,]+, with \S+ on top of the stack:\s*$|\d+ @(?: 0x[0-9a-fA-F]+)+\s*$)/;

export type DumpStart = { kind: 'debug1' | 'debug2'; prefix: string; json: boolean; goleak: boolean };

/** What a decisive line says: the format it starts and the prefix in front of it. Null if not decisive. */
export function dumpStart(line: string): DumpStart | null {
  // docker's json-file driver: {"log":"goroutine 1 [running]:\n","stream":"stderr","time":"…"}
  if (line.startsWith('{"log":"')) {
    const text = dockerJsonLog(line);
    if (text === null) return null;
    const inner = dumpStart(text);
    return inner && { ...inner, json: true };
  }
  const m = DECISIVE.exec(line);
  if (!m) return null;
  const prefix = line.slice(0, m.index);
  // "main.go:12: goroutine 5 [x]:" inside a sentence is not a dump; a prefix is a log stamp,
  // an indentation, or a short tag, never one ending in a letter glued to the header.
  if (prefix.length > 200 || (prefix.length > 0 && /[A-Za-z0-9_]$/.test(prefix))) return null;
  const header = m[1]!;
  const kind = /profile: total|@/.test(header) ? 'debug1' : 'debug2';
  return { kind, prefix, json: false, goleak: header.startsWith('Goroutine ') };
}

/** The text of one docker json-file log line, without its newline; null if it is not one. */
export function dockerJsonLog(line: string): string | null {
  try {
    const parsed = JSON.parse(line) as { log?: unknown };
    if (typeof parsed.log !== 'string') return null;
    return parsed.log.replace(/\r?\n$/, '');
  } catch {
    return null;
  }
}

/**
 * A regex matching the same prefix on other lines: digits vary (timestamps, pids), a fraction
 * of seconds may be trimmed (`.1234Z`, `Z`), the CRI stream and tag vary (`stdout F`/`stderr P`).
 */
export function prefixPattern(prefix: string): RegExp | null {
  if (prefix === '') return null;
  let src = '';
  for (let i = 0; i < prefix.length; ) {
    const rest = prefix.slice(i);
    const cri = /^(stdout|stderr) [FP] /.exec(rest);
    if (cri) {
      src += '(?:stdout|stderr) [FP] ';
      i += cri[0].length;
      continue;
    }
    const frac = /^[.,]\d+/.exec(rest);
    if (frac && i > 0 && /\d/.test(prefix[i - 1]!)) {
      src += '(?:[.,]\\d+)?';
      i += frac[0].length;
      continue;
    }
    const digits = /^\d+/.exec(rest);
    if (digits) {
      src += '\\d+';
      i += digits[0].length;
      continue;
    }
    // journald pads the day of the month with a space: "Jun  5" vs "Jun 15".
    const spaces = /^ +/.exec(rest);
    if (spaces) {
      src += ' +';
      i += spaces[0].length;
      continue;
    }
    // Month and weekday names change at midnight; time zones stay.
    const month = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/.exec(rest);
    if (month) {
      src += '[A-Z][a-z]{2}';
      i += month[0].length;
      continue;
    }
    src += prefix[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    i++;
  }
  return new RegExp(`^${src}`);
}

/**
 * Turns raw lines into dump lines once the prefix is known. Lines without the prefix are kept as
 * they are: a dump interleaved with other output still reads, the others are ignored as noise.
 */
export function lineUnwrapper(start: DumpStart): ((line: string) => string) | null {
  const pattern = prefixPattern(start.prefix);
  if (!pattern && !start.json) return null;
  const strip = (line: string): string => {
    if (!pattern) return line;
    const m = pattern.exec(line);
    return m ? line.slice(m[0].length) : line;
  };
  if (!start.json) return strip;
  return (line) => {
    if (!line.startsWith('{"log":"')) return strip(line);
    const text = dockerJsonLog(line);
    return text === null ? line : strip(text);
  };
}
