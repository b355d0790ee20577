// readDump: detects the format of a goroutine dump and reads it in one streaming pass.
import { Debug1Reader } from './debug1.ts';
import type { Dump, DumpFormat } from './model.ts';
import { ProfileDecodeError, readPprof } from './pprof.ts';
import { TracebackReader } from './traceback.ts';
import { utf8FromLatin1, type LineReader } from './text.ts';

/** Raw bytes, text, or a stream of chunks (a Node Readable, a fetch body). */
export type DumpInput = Uint8Array | string | AsyncIterable<Uint8Array | string>;

export interface ReadDumpOptions {
  /** Stop reading after this many bytes and report the dump as truncated. Default 256 MiB. */
  maxBytes?: number;
}

/** The input is not a goroutine dump, or not one we can read. The message is for a person. */
export class DumpFormatError extends Error {
  override name = 'DumpFormatError';
}

// runtime/pprof writes debug=2 into a buffer that stops growing at 64 MiB and cuts the text there.
export const RUNTIME_DEBUG2_CAP = 64 << 20;
const DEFAULT_MAX_BYTES = 256 << 20;
// A line longer than this is not from a Go dump; dropping it keeps memory bounded on garbage.
const MAX_LINE = 1 << 20;
const SLICE = 32 << 10;
const HEADER_START = /^goroutine \d+ /;
const COMPLETE_LOCATION = /^\t\S+:\d+( \+0x[0-9a-f]+)?( fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?\r?$/;

export async function readDump(input: DumpInput, options: ReadDumpOptions = {}): Promise<Dump> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const chunks = toChunks(input);
  const first = await chunks.next();
  if (first.done) throw new DumpFormatError('empty input: no goroutine dump');
  const head = first.value;
  if (looksBinary(head)) return readBinary(head, chunks, maxBytes);
  return readText(head, chunks, maxBytes);
}

async function* chunksOf(input: DumpInput): AsyncGenerator<Uint8Array> {
  if (typeof input === 'string') {
    yield Buffer.from(input, 'utf8');
  } else if (input instanceof Uint8Array) {
    yield input;
  } else {
    for await (const c of input) yield typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
  }
}

function toChunks(input: DumpInput): AsyncGenerator<Uint8Array> {
  const inner = chunksOf(input);
  // Skip empty chunks so the first one can be sniffed.
  return (async function* () {
    for await (const c of inner) if (c.length > 0) yield c;
  })();
}

function looksBinary(head: Uint8Array): boolean {
  if (head[0] === 0x1f && head[1] === 0x8b) return true; // gzip
  // An uncompressed profile starts with field 1 (sample_type), length-delimited: 0x0a.
  if (head[0] !== 0x0a) return false;
  const n = Math.min(head.length, 64);
  for (let i = 0; i < n; i++) if (head[i] === 0) return true;
  return false;
}

async function readBinary(head: Uint8Array, rest: AsyncGenerator<Uint8Array>, maxBytes: number): Promise<Dump> {
  const parts: Uint8Array[] = [head];
  let size = head.length;
  for await (const c of rest) {
    size += c.length;
    if (size > maxBytes) throw new DumpFormatError(`binary profile larger than ${maxBytes} bytes`);
    parts.push(c);
  }
  const data = parts.length === 1 ? head : Buffer.concat(parts);
  try {
    const { groups } = readPprof(data, maxBytes);
    return {
      format: 'pprof',
      goroutines: groups.goroutines,
      declaredTotal: groups.goroutines,
      truncated: false,
      groups: groups.finish(),
      preamble: null,
      bytes: size,
    };
  } catch (err) {
    if (err instanceof ProfileDecodeError) throw new DumpFormatError(err.message);
    throw err;
  }
}

async function readText(head: Uint8Array, rest: AsyncGenerator<Uint8Array>, maxBytes: number): Promise<Dump> {
  let carry = '';
  let bytes = 0;
  let stoppedAtCap = false;
  let format: DumpFormat | null = null;
  let traceback: TracebackReader | null = null;
  let debug1: Debug1Reader | null = null;
  let reader: LineReader | null = null;

  // The format is decided by the first non-blank line.
  const decide = (line: string): LineReader => {
    if (line.startsWith('goroutine profile:')) {
      format = 'debug1';
      return (debug1 = new Debug1Reader());
    }
    format = HEADER_START.test(line) ? 'debug2' : 'traceback';
    return (traceback = new TracebackReader());
  };

  const feed = (text: string): void => {
    let start = 0;
    let r = reader;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
      const line = text.slice(start, end);
      start = nl + 1;
      if (r === null) {
        if (line.trim() === '') continue;
        r = reader = decide(line);
      }
      r.line(line);
    }
    carry = start === 0 ? text : text.slice(start);
    if (carry.length > MAX_LINE) carry = '';
  };

  const take = (chunk: Uint8Array): boolean => {
    let c = chunk;
    if (bytes + c.length > maxBytes) {
      c = c.subarray(0, maxBytes - bytes);
      stoppedAtCap = true;
    }
    bytes += c.length;
    const buf = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    // Decode in slices small enough for V8's young generation: a 1 MiB string would go to
    // large-object space and linger until a full GC, which is most of the peak memory.
    for (let o = 0; o < buf.length; o += SLICE) {
      const text = buf.toString('latin1', o, Math.min(o + SLICE, buf.length));
      feed(carry.length ? carry + text : text);
    }
    return !stoppedAtCap;
  };

  if (take(head)) {
    for await (const c of rest) if (!take(c)) break;
  }
  const tail = carry;
  // Input that does not end with a newline was cut mid-line (the runtime's cap does that), unless
  // the last line is itself complete, as in a hand-saved file without a final newline.
  const endsMidLine = tail.length > 0 && !COMPLETE_LOCATION.test(tail) && !/^\s*$/.test(tail);
  if (tail.length > 0 && !endsMidLine) {
    if (reader === null && tail.trim() !== '') reader = decide(tail);
    reader?.line(tail.replace(/\r$/, ''));
  }
  const cut = stoppedAtCap || endsMidLine || bytes === RUNTIME_DEBUG2_CAP;

  if (debug1) {
    const r = debug1 as Debug1Reader;
    r.end();
    const groups = r.groups.finish();
    const read = r.groups.goroutines;
    return {
      format: 'debug1',
      goroutines: read,
      declaredTotal: r.declaredTotal,
      truncated: stoppedAtCap || (r.declaredTotal !== null && read < r.declaredTotal),
      groups,
      preamble: null,
      bytes,
    };
  }
  if (!traceback) throw new DumpFormatError('empty input: no goroutine dump');
  const r = traceback as TracebackReader;
  const { preamble: rawPreamble, incompleteDropped } = r.end(cut);
  const preamble = rawPreamble && utf8FromLatin1(rawPreamble);
  const groups = r.groups.finish();
  if (groups.length === 0) {
    throw new DumpFormatError(
      preamble
        ? `no goroutines found (starts with "${preamble.split('\n')[0]!.slice(0, 60)}"): not a Go goroutine dump`
        : 'no goroutines found: not a Go goroutine dump',
    );
  }
  return {
    format: format ?? 'debug2',
    goroutines: r.groups.goroutines,
    declaredTotal: null,
    truncated: cut || incompleteDropped,
    groups,
    preamble: format === 'traceback' ? preamble : null,
    bytes,
  };
}
