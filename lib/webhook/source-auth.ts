// Who may post alerts: a bearer token per source (Alertmanager `http_config.authorization`,
// Grafana "Authorization header"), or Grafana's HMAC signature (hex HMAC-SHA256 of the body, or of
// `timestamp:body` when a timestamp header is sent). Every comparison is constant-time, and a
// source with no credentials configured accepts nothing.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface HmacConfig {
  secret: string;
  /** Header carrying the hex signature. */
  header: string;
  /** Header carrying Unix seconds; when present it is signed and must be recent. */
  timestampHeader: string;
}

export interface SourceAuth {
  tokens: readonly string[];
  hmac: HmacConfig | null;
}

export type AuthResult = { ok: true; via: 'bearer' | 'hmac' } | { ok: false; status: 401 | 403; reason: string };

export const GRAFANA_SIGNATURE_HEADER = 'x-grafana-alerting-signature';
export const GRAFANA_TIMESTAMP_HEADER = 'x-grafana-alerting-signature-timestamp';
const MAX_SKEW_SECONDS = 300;

/** Equal strings in time independent of where they differ (and of their lengths). */
export function safeEqual(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

export function hmacHex(secret: string, body: string, timestamp?: string): string {
  return createHmac('sha256', secret).update(timestamp ? `${timestamp}:${body}` : body, 'utf8').digest('hex');
}

/** Builds a source's auth from its secrets; null when none is set (the endpoint is then closed). */
export function sourceAuth(token: string | null, hmacSecret: string | null = null): SourceAuth | null {
  if (!token && !hmacSecret) return null;
  return {
    tokens: token ? token.split(',').map((t) => t.trim()).filter(Boolean) : [],
    hmac: hmacSecret ? { secret: hmacSecret, header: GRAFANA_SIGNATURE_HEADER, timestampHeader: GRAFANA_TIMESTAMP_HEADER } : null,
  };
}

export function checkAuth(
  source: string,
  auth: SourceAuth | null,
  header: (name: string) => string | undefined,
  body: string,
  nowMs: number = Date.now(),
): AuthResult {
  if (!auth) return { ok: false, status: 403, reason: `the ${source} webhook is not enabled: no token or HMAC secret is configured for it` };
  const signature = auth.hmac ? header(auth.hmac.header)?.trim() : undefined;
  if (auth.hmac && signature) {
    const ts = header(auth.hmac.timestampHeader)?.trim();
    if (ts !== undefined && ts !== '') {
      if (!/^\d{1,12}$/.test(ts) || Math.abs(nowMs / 1000 - Number(ts)) > MAX_SKEW_SECONDS) {
        return { ok: false, status: 403, reason: `signature timestamp is not within ${MAX_SKEW_SECONDS} s of now` };
      }
    }
    const expected = hmacHex(auth.hmac.secret, body, ts || undefined);
    return safeEqual(expected, signature.toLowerCase()) ? { ok: true, via: 'hmac' } : { ok: false, status: 403, reason: 'bad signature' };
  }
  const authorization = header('authorization')?.trim();
  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m) return { ok: false, status: 401, reason: 'Authorization must be "Bearer <token>"' };
    // Every token is compared, so the time taken says nothing about which one was close.
    let match = false;
    for (const token of auth.tokens) match = safeEqual(token, m[1]!) || match;
    return match ? { ok: true, via: 'bearer' } : { ok: false, status: 403, reason: 'wrong token' };
  }
  const wanted = [auth.tokens.length ? 'Authorization: Bearer <token>' : '', auth.hmac ? `a ${auth.hmac.header} signature` : ''].filter(Boolean).join(' or ');
  return { ok: false, status: 401, reason: `missing credentials: expected ${wanted}` };
}
