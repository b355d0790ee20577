// One replica to read, and reading it: open, stream through the cap into readDump, name what went wrong.
import { DumpFormatError, markProvedLeaks, readDump, type Dump } from '../goroutines/index.ts';
import { describeError } from '../errors/index.ts';
import { describeBody, formatBytes, formatSeconds } from './describe.ts';
import type { DumpSourceKind, Gap, ReplicaDump } from './model.ts';
import { withPoolScrape, type MetricsOpener } from './pool-scrape.ts';
import { CappedBody, untilAborted, type OpenedBody } from './stream.ts';

export interface Target {
  source: DumpSourceKind;
  replica: string;
  address: string | null;
  /** Where it is read from, for the report (no credentials). */
  location: string;
  /** How gaps name it: the URL, `pod ns/name`, `task <id> (url)`, `s3://bucket/key`. */
  label: string;
  /** Opens the body; throws TargetError (a sentence for a person) or a network error. */
  open(signal: AbortSignal): Promise<OpenedBody>;
  /** Known when the target is found (an S3 object's upload time); otherwise the time of reading. */
  capturedAt?: string;
  /** Something a person should know even when the read succeeds, e.g. an old S3 dump. */
  caveat?: string;
  /**
   * Opens the replica's goroutine leak profile (Go 1.26+), or resolves null when it has none
   * (404 and the like: older runtimes do not serve it, which is no gap).
   */
  openLeakProfile?(signal: AbortSignal): Promise<OpenedBody | null>;
  /** Opens the replica's Prometheus metrics page (its pool), or resolves null when it serves none. */
  openMetrics?: MetricsOpener;
}

/** What a source found: the replicas to read, and what it could not even list. */
export interface Discovery {
  targets: Target[];
  gaps: Gap[];
}

export interface ReadLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Aborts when the overall deadline is (nearly) reached. */
  deadline: AbortSignal;
}

type Interruption = 'timeout' | 'deadline';

/** `…/debug/pprof/goroutine?debug=N` → `…/debug/pprof/goroutineleak?debug=N`; null for other paths. */
export function leakProfileUrl(url: URL): URL | null {
  if (!/\/goroutine$/.test(url.pathname)) return null;
  const leak = new URL(url);
  leak.pathname = `${url.pathname}leak`;
  return leak;
}

export function readTarget(target: Target, limits: ReadLimits): Promise<ReplicaDump> {
  return withPoolScrape(target.openMetrics, limits, () => readDumpOf(target, limits));
}

async function readDumpOf(target: Target, limits: ReadLimits): Promise<ReplicaDump> {
  const started = Date.now();
  const controller = new AbortController();
  let interruption: Interruption | null = null;
  const stop = (why: Interruption): void => {
    interruption ??= why;
    controller.abort(new Error(why));
  };
  const timer = setTimeout(() => stop('timeout'), limits.timeoutMs);
  const onDeadline = (): void => stop('deadline');
  if (limits.deadline.aborted) onDeadline();
  else limits.deadline.addEventListener('abort', onDeadline, { once: true });

  const result = (dump: ReplicaDump['dump'], bytes: number, reason: string | null): ReplicaDump => ({
    replica: target.replica,
    address: target.address,
    source: target.source,
    location: target.location,
    dump,
    bytes,
    elapsedMs: Date.now() - started,
    capturedAt: dump ? (target.capturedAt ?? new Date(started).toISOString()) : null,
    gap: reason === null ? null : { source: target.source, target: target.label, reason },
  });
  const interrupted = (phase: string): string =>
    interruption === 'deadline'
      ? `overall deadline reached ${phase}`
      : `timed out after ${formatSeconds(limits.timeoutMs)} ${phase}`;

  let body: OpenedBody | null = null;
  try {
    const opening = target.open(controller.signal);
    // If the opener ignores the signal and answers late, let go of that connection at once.
    opening.then((late) => controller.signal.aborted && late.close(), () => undefined);
    try {
      body = await untilAborted(opening, controller.signal);
    } catch (err) {
      return result(null, 0, interruption ? interrupted('waiting for a response') : describeError(err));
    }

    const capped = new CappedBody(body.chunks, limits.maxBytes, controller.signal);
    let dump: ReplicaDump['dump'] = null;
    let readError: unknown = null;
    try {
      dump = await readDump(capped.chunks(), { maxBytes: limits.maxBytes });
    } catch (err) {
      readError = err;
    }
    const kept = `kept the first ${formatBytes(capped.bytes)}`;
    const cut = capped.capped
      ? `body exceeded ${formatBytes(limits.maxBytes)}; read the first ${formatBytes(limits.maxBytes)}`
      : capped.interrupted
        ? `${interrupted('while reading the body')}; ${kept}`
        : capped.error
          ? `${describeError(capped.error)} while reading the body; ${kept}`
          : null;

    if (dump) {
      if (!cut && target.openLeakProfile) await readLeakProfile(target.openLeakProfile.bind(target), dump, limits.maxBytes, controller.signal);
      const reasons = [cut, target.caveat].filter((r): r is string => !!r);
      return result(dump, capped.bytes, reasons.length ? reasons.join('; ') : null);
    }
    if (cut) {
      const why = readError instanceof DumpFormatError ? unquoted(readError) : describeError(readError);
      return result(null, capped.bytes, `${cut}, which is not a readable dump (${why})`);
    }
    if (capped.bytes === 0) return result(null, 0, 'empty response: not a goroutine dump');
    // Described, never quoted: the reader's message may start with the body's first line.
    if (readError instanceof DumpFormatError) {
      const why = unquoted(readError);
      return result(null, capped.bytes, `not a goroutine dump: the target answered ${describeBody(capped.head, capped.bytes)} (${why})`);
    }
    return result(null, capped.bytes, `could not read the dump: ${describeError(readError)}`);
  } catch (err) {
    // Nothing above should throw; if it does, it is still only this replica's gap.
    return result(null, 0, `could not read the dump: ${describeError(err)}`);
  } finally {
    clearTimeout(timer);
    limits.deadline.removeEventListener('abort', onDeadline);
    body?.close();
  }
}

/**
 * Reads the leak profile under the same timeout and byte cap and marks its goroutines as proved
 * leaks in `dump`. Anything short of a readable profile leaves the dump as it was: the leak
 * profile sharpens a verdict, its absence never makes one.
 */
async function readLeakProfile(open: (signal: AbortSignal) => Promise<OpenedBody | null>, dump: Dump, maxBytes: number, signal: AbortSignal): Promise<void> {
  let body: OpenedBody | null = null;
  try {
    body = await untilAborted(open(signal), signal);
    if (!body) return;
    const leaks = await readDump(new CappedBody(body.chunks, maxBytes, signal).chunks(), { maxBytes });
    if (!leaks.truncated) markProvedLeaks(dump, leaks);
  } catch {
    // not served, cut, or not a profile: the dump stands on its own
  } finally {
    body?.close();
  }
}

/** The reader's reason without the body's first line, which it quotes. */
function unquoted(err: DumpFormatError): string {
  return err.message.replace(/\s*\(starts with "[\s\S]*"\)/, '');
}
