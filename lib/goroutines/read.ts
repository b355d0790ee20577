// readDump: detects the format of a goroutine dump and reads it in one streaming pass.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Debug1Reader } from './debug1.ts';
import type { Dump, DumpFormat } from './model.ts';
import { TracebackReader } from './traceback.ts';
import { utf8FromLatin1, type LineReader } from './text.ts';
import { dumpStart, lineUnwrapper, type DumpStart } from './unwrap.ts';

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
const COMPLETE_LOCATION = /^\s*\S.*:\d+( \+0x[0-9a-f]+)?( fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?\r?$/;
// Lines read before deciding the format (logs in front of a SIGQUIT dump); past this, the
// format is decided without a prefix and what was held is replayed.
const MAX_SNIFF_LINES = 5_000;
const MAX_SNIFF_CHARS = 4 << 20;

export async function readDump(input: DumpInput, options: ReadDumpOptions = {}): Promise<Dump> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const chunks = toChunks(input);
  const first = await chunks.next();
  if (first.done) throw new DumpFormatError('empty input: no goroutine dump');
  let head = first.value;
  let rest = chunks;
  let gzip: Gunzipped | null = null;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    // Gzipped protobuf (debug=0) or gzipped text (`dump.txt.gz`): sniff what is inside.
    gzip = new Gunzipped(head, chunks);
    rest = gzip.chunks();
    const inner = await rest.next();
    if (inner.done) throw new DumpFormatError('empty gzip stream: no goroutine dump');
    head = inner.value;
  }
  if (looksLikeProfile(head)) return readBinary(head, rest, maxBytes);
  const dump = await readText(head, rest, maxBytes);
  if (gzip?.cut) dump.truncated = true;
  return dump;
}

/** Inflates a gzip stream lazily; a stream that ends early is a cut dump, not an error. */
class Gunzipped {
  cut = false;
  constructor(
    private readonly head: Uint8Array,
    private readonly rest: AsyncGenerator<Uint8Array>,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    const { head, rest } = this;
    const source = Readable.from((async function* () {
      yield head;
      yield* rest;
    })());
    const gunzip = createGunzip();
    source.on('error', (err) => gunzip.destroy(err));
    source.pipe(gunzip);
    try {
      for await (const c of gunzip) yield c as Buffer;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'Z_BUF_ERROR') {
        this.cut = true; // "unexpected end of file"
        return;
      }
      if (typeof code === 'string' && code.startsWith('Z_')) throw new DumpFormatError(`not a valid gzip stream (${(err as Error).message})`);
      throw err;
    } finally {
      source.destroy();
      gunzip.destroy();
    }
  }
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

/** Protobuf, not text: control bytes that no dump, log or terminal output holds (ESC aside). */
function looksLikeProfile(head: Uint8Array): boolean {
  const n = Math.min(head.length, 64);
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b <= 0x08 || (b >= 0x0e && b <= 0x1f && b !== 0x1b)) return true;
  }
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
  // pprof-format decodes debug=0 profiles only: text dumps never load it.
  const { ProfileDecodeError, readPprof } = await import('./pprof.ts');
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
  let unwrap: ((line: string) => string) | null = null;
  // Lines held until the first line that can only start a dump shows the format and what stands
  // in front of every line (a log prefix, an indentation).
  let held: string[] = [];
  let heldChars = 0;
  let sawText = false;

  const decide = (start: DumpStart | null): LineReader => {
    unwrap = start ? lineUnwrapper(start) : null;
    let r: LineReader;
    if (start?.kind === 'debug1') {
      format = 'debug1';
      r = debug1 = new Debug1Reader();
    } else {
      // Plain debug=2 starts with its first goroutine; anything in front (or goleak's own
      // headers) makes it a traceback.
      format = start && !sawText && !start.goleak ? 'debug2' : 'traceback';
      r = traceback = new TracebackReader();
    }
    reader = r;
    const replay = held;
    held = [];
    for (const line of replay) deliver(r, line);
    return r;
  };
  const deliver = (r: LineReader, line: string): void => r.line(unwrap ? unwrap(line) : line);
  const sniff = (line: string): LineReader | null => {
    const start = dumpStart(line);
    if (start) return decide(start);
    if (line.trim() !== '') sawText = true;
    held.push(line);
    heldChars += line.length;
    if (held.length >= MAX_SNIFF_LINES || heldChars >= MAX_SNIFF_CHARS) return decide(null);
    return null;
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
        if (held.length === 0 && line.trim() === '') continue;
        r = sniff(line);
        if (r !== null) deliver(r, line);
        continue;
      }
      deliver(r, line);
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
    const line = tail.replace(/\r$/, '');
    const r = reader ?? sniff(line);
    if (r) deliver(r, line);
  }
  if (reader === null && held.length > 0) decide(null);
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
