// Reading a response body under a byte cap and an abort signal, without ever buffering it whole.

/** A response body being read, and how to let go of its connection. */
export interface OpenedBody {
  chunks: AsyncIterable<Uint8Array>;
  /** Release the connection or stream; safe to call more than once. */
  close(): void;
}

/** Rejects with the signal's reason as soon as it aborts; the work itself is left to its own signal. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // The losing side of the race must never surface as an unhandled rejection.
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

const ABORTED = Symbol('aborted');

function nextOrAbort<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T> | typeof ABORTED> {
  const next = it.next();
  next.catch(() => undefined);
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    next.then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Passes a body through until it ends, `maxBytes` have gone by, the signal aborts or the
 * connection fails, and records which. Each of those ends the stream cleanly, so the dump
 * reader parses what arrived and the caller can report a partial dump instead of nothing.
 */
const HEAD_BYTES = 512;

function concatHead(head: Uint8Array, chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.min(HEAD_BYTES, head.length + chunk.length));
  out.set(head);
  out.set(chunk.subarray(0, out.length - head.length), head.length);
  return out;
}

export class CappedBody {
  bytes = 0;
  /** The body had more than `maxBytes`. */
  capped = false;
  /** The signal aborted (timeout or deadline) before the body ended. */
  interrupted = false;
  /** The connection failed mid-body. */
  error: unknown = null;
  /** The first bytes, to say what a body that is not a dump is (never to quote it). */
  head: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly source: AsyncIterable<Uint8Array>,
    private readonly maxBytes: number,
    private readonly signal: AbortSignal,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    const it = this.source[Symbol.asyncIterator]();
    for (;;) {
      let step: IteratorResult<Uint8Array> | typeof ABORTED;
      try {
        step = await nextOrAbort(it, this.signal);
      } catch (err) {
        this.error = err;
        return;
      }
      if (step === ABORTED) {
        this.interrupted = true;
        return;
      }
      if (step.done) return;
      let chunk = step.value;
      if (this.bytes + chunk.length > this.maxBytes) {
        chunk = chunk.subarray(0, this.maxBytes - this.bytes);
        this.capped = true;
      }
      if (this.head.length < HEAD_BYTES && chunk.length > 0) this.head = concatHead(this.head, chunk);
      this.bytes += chunk.length;
      if (chunk.length > 0) yield chunk;
      if (this.capped) return;
    }
  }
}

/** Chunks of a WHATWG stream (a fetch body), cancelled through `close`. */
export function webBody(stream: ReadableStream<Uint8Array> | null): OpenedBody {
  if (!stream) return { chunks: (async function* () {})(), close() {} };
  const reader = stream.getReader();
  let closed = false;
  return {
    chunks: (async function* () {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value) yield value;
      }
    })(),
    close() {
      if (closed) return;
      closed = true;
      reader.cancel().catch(() => undefined);
    },
  };
}

/** At most `limit` bytes of a small body (an error page, a JSON list) as UTF-8 text. */
export async function readText(body: OpenedBody, limit: number, signal: AbortSignal): Promise<{ text: string; complete: boolean }> {
  const capped = new CappedBody(body.chunks, limit, signal);
  const parts: Uint8Array[] = [];
  for await (const c of capped.chunks()) parts.push(c);
  body.close();
  if (capped.error) throw capped.error;
  if (capped.interrupted) throw signal.reason ?? new Error('aborted');
  return { text: Buffer.concat(parts).toString('utf8'), complete: !capped.capped };
}
