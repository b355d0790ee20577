// The two ways a dump travels: fetch for direct targets (plain URLs, ECS task IPs) and node:http(s)
// for the Kubernetes API server, whose credentials arrive as Node request options.
import { withoutUserinfo } from '../redact/index.ts';
import http from 'node:http';
import https from 'node:https';
import { quoteBody, TargetError } from './describe.ts';
import { readText, webBody, type OpenedBody } from './stream.ts';

export interface HttpResponse {
  status: number;
  contentType: string;
  location: string | null;
  body: OpenedBody;
}

export type FetchLike = typeof fetch;

/** GET through fetch. Redirects are not followed: a target may only be what the catalog names. */
export async function fetchGet(
  fetchImpl: FetchLike,
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<HttpResponse> {
  const res = await fetchImpl(url, { method: 'GET', headers, redirect: 'manual', signal });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    location: res.headers.get('location'),
    body: webBody(res.body),
  };
}

/**
 * A plain GET of a dump URL: node:http by default, or an injected fetch (tests, custom agents).
 * node:http costs about half the CPU of fetch per request, which shows at hundreds of replicas
 * (fleet benchmark: ~1,000 requests a triage), and a gzipped body is gunzipped by the reader.
 */
export function plainGet(fetchImpl: FetchLike | null, url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
  return fetchImpl ? fetchGet(fetchImpl, url, headers, signal) : nodeGet(url, { headers }, signal);
}

/** GET through node:http(s) with request options prepared elsewhere (agent, TLS, auth headers). */
export function nodeGet(url: URL, options: https.RequestOptions, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    let agent = options.agent;
    // An https agent cannot carry a plain-http request (and the reverse); let Node pick then.
    if (agent && typeof agent === 'object' && (agent as { protocol?: string }).protocol !== url.protocol) agent = undefined;
    const req = (secure ? https : http).request(url, { ...options, agent, method: 'GET', signal }, (res) => {
      let closed = false;
      resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type'] ?? ''),
        location: typeof res.headers.location === 'string' ? res.headers.location : null,
        body: {
          chunks: res,
          close() {
            if (closed) return;
            closed = true;
            res.destroy();
            req.destroy();
          },
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Turn a non-200 answer from a target into a TargetError that says what to do about it. */
export async function statusError(res: HttpResponse, url: URL, signal: AbortSignal): Promise<TargetError> {
  if (res.status >= 300 && res.status < 400) {
    res.body.close();
    return new TargetError(
      `HTTP ${res.status} redirect${res.location ? ` to ${withoutUserinfo(res.location)}` : ''}; not followed (dump targets come only from the catalog)`,
    );
  }
  const detail = await errorBody(res, signal);
  if (res.status === 404) {
    return new TargetError(`HTTP 404 at ${url.pathname}: no pprof handler there (import _ "net/http/pprof", or fix the path in the catalog)`);
  }
  if (res.status === 401 || res.status === 403) {
    return new TargetError(`HTTP ${res.status}: the target refused access to ${url.pathname}${detail ? ` (${detail})` : ''}`);
  }
  return new TargetError(`HTTP ${res.status} from the target${detail ? `: ${detail}` : ''}`);
}

/** A short quote of an error body, or '' when it cannot be read quickly. */
export async function errorBody(res: HttpResponse, signal: AbortSignal): Promise<string> {
  try {
    const { text } = await readText(res.body, 8 << 10, signal);
    return quoteBody(text);
  } catch {
    return '';
  } finally {
    res.body.close();
  }
}

