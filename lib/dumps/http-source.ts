// Static URLs from the catalog. Shared with ECS, whose tasks are plain URLs once their IP is known.
import { DEFAULT_PPROF_PATH, type DumpDebugLevel, type MetricsEndpoint } from '../catalog/index.ts';
import { metricsUrl } from './pool-scrape.ts';
import type { DumpSourceKind, Gap } from './model.ts';
import { withoutUserinfo } from '../redact/index.ts';
import { leakProfileUrl, type Discovery, type Target } from './target.ts';
import { plainGet, statusError, type FetchLike } from './transport.ts';

/**
 * The goroutine-profile URL for a catalog URL: a bare base (`http://10.0.1.5:6060`) gets the
 * standard path, `…/debug/pprof` gets `/goroutine`, anything else is taken as the full path.
 * `debug` is always ours, whatever the catalog wrote.
 */
export function goroutineUrl(raw: string, debug: DumpDebugLevel): URL {
  const url = new URL(raw);
  if (url.pathname === '' || url.pathname === '/') url.pathname = DEFAULT_PPROF_PATH;
  else if (/\/debug\/pprof\/?$/.test(url.pathname)) url.pathname = url.pathname.replace(/\/?$/, '/goroutine');
  url.searchParams.set('debug', String(debug));
  url.hash = '';
  return url;
}

const ACCEPT = 'text/plain, application/octet-stream;q=0.9, */*;q=0.1';

/** A target read with a plain GET (a catalog URL, an ECS task IP). */
export function urlTarget(
  source: DumpSourceKind,
  url: URL,
  replica: string,
  address: string | null,
  fetchImpl: FetchLike | null,
  label?: string,
  metrics?: MetricsEndpoint,
): Target {
  const headers: Record<string, string> = { accept: ACCEPT };
  // Credentials in a URL go as Basic auth (fetch refuses them there) and never into reports.
  const clean = new URL(url);
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    clean.username = '';
    clean.password = '';
  }
  const leakUrl = leakProfileUrl(clean);
  const poolUrl = metricsUrl(clean, metrics);
  const optional = (url: URL) => async (signal: AbortSignal) => {
    const res = await plainGet(fetchImpl, url, headers, signal);
    if (res.status === 200) return res.body;
    res.body.close();
    return null;
  };
  return {
    source,
    replica,
    address,
    location: withoutUserinfo(clean),
    label: label ?? withoutUserinfo(clean),
    async open(signal) {
      const res = await plainGet(fetchImpl, clean, headers, signal);
      if (res.status !== 200) throw await statusError(res, clean, signal);
      return res.body;
    },
    openLeakProfile: leakUrl ? optional(leakUrl) : undefined,
    openMetrics: poolUrl ? optional(poolUrl) : undefined,
  };
}

export function discoverHttp(urls: readonly string[], debug: DumpDebugLevel, fetchImpl: FetchLike | null, metrics?: MetricsEndpoint): Discovery {
  const targets: Target[] = [];
  const gaps: Gap[] = [];
  const seen = new Set<string>();
  for (const raw of urls) {
    let url: URL;
    try {
      url = goroutineUrl(raw, debug);
    } catch {
      gaps.push({ source: 'http', target: withoutUserinfo(raw), reason: 'not a valid URL' });
      continue;
    }
    if (seen.has(url.href)) continue;
    seen.add(url.href);
    const address = url.hostname.replace(/^\[(.*)\]$/, '$1');
    targets.push(urlTarget('http', url, url.host, address, fetchImpl, undefined, metrics));
  }
  return { targets, gaps };
}
