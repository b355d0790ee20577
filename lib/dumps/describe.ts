// Turning sizes, durations and low-level errors into the words a gap is written in.
import { escapeControl, redact } from '../redact/index.ts';

/** `64 MiB`, `1.5 MiB`, `512 KiB`, `900 bytes`. */
export function formatBytes(bytes: number): string {
  const units: Array<[string, number]> = [
    ['GiB', 1 << 30],
    ['MiB', 1 << 20],
    ['KiB', 1 << 10],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : Number(value.toFixed(1))} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

/** `3 s`, `0.5 s`, `1.25 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

/** A failure whose message is already written for a person (an HTTP status explained, a missing IP). */
export class TargetError extends Error {
  override name = 'TargetError';
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the peer',
  EPIPE: 'connection closed by the peer',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'body stalled',
  UND_ERR_SOCKET: 'connection closed by the peer',
  UND_ERR_CLOSED: 'connection closed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is not trusted (self-signed root)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate issuer is not trusted',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (plain HTTP on an https URL?)',
};

function errorCode(err: unknown): string | undefined {
  // fetch wraps the socket error in `cause`; happy-eyeballs connects wrap several in `errors`.
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_CODES) return code;
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      const found = errorCode(inner[0]);
      if (found) return found;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A network or library error as a short phrase: "connection refused", "TLS certificate has expired". */
export function describeError(err: unknown): string {
  if (err instanceof TargetError) return err.message;
  const code = errorCode(err);
  if (code) return NETWORK_CODES[code]!;
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    // "fetch failed" says nothing; its cause does.
    if (err.message === 'fetch failed' && cause instanceof Error) {
      // The fetch standard refuses some ports outright (6000, 6665-6669, …).
      if (cause.message === 'bad port') return 'port refused by fetch (on the blocked-ports list)';
      return cause.message;
    }
    return err.message || err.name;
  }
  return String(err);
}

/** An error body (an API server's status message), redacted, on one line, bounded, for a gap. */
export function quoteBody(text: string, max = 160): string {
  const line = escapeControl(redact(text).replace(/\s+/g, ' ').trim());
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * What a body that is not a goroutine dump looks like, by its first bytes, without quoting any
 * of it: a login page or a JSON error of a dump target can carry session tokens or personal data.
 */
export function describeBody(head: Uint8Array, bytes: number): string {
  const text = Buffer.from(head).toString('latin1').trimStart().slice(0, 200).toLowerCase();
  const kind =
    head.length === 0
      ? 'nothing'
      : /^(<!doctype html|<html|<head|<body)/.test(text)
        ? 'an HTML page'
        : /^<\?xml|^<[a-z]/.test(text)
          ? 'XML'
          : /^[{[]/.test(text)
            ? 'JSON'
            : [...head.subarray(0, 64)].some((b) => b < 9 || (b > 13 && b < 32))
              ? 'binary data'
              : 'text';
  return `${formatBytes(bytes)} of ${kind}`;
}
