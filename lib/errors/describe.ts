// Errors as words: the raw message for a log line, or a short phrase for a network or TLS
// failure ("connection refused") where a person reads it in a report gap.

/** The error's own message (or the thrown value as text). */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

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
