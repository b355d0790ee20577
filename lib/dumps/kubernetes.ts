// Kubernetes: list the service's pods by label selector and read each one through the API
// server's pod proxy, so pprof never has to be exposed outside the pod.
import type https from 'node:https';
import { createRequire } from 'node:module';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { DEFAULT_METRICS_PATH, type DumpDebugLevel, type DumpSource } from '../catalog/index.ts';
import { describeError } from '../errors/index.ts';
import { quoteBody, TargetError } from './describe.ts';
import type { Gap } from './model.ts';
import { readText } from './stream.ts';
import { leakProfileUrl, type Discovery, type Target } from './target.ts';
import { nodeGet, type HttpResponse } from './transport.ts';

type KubernetesSource = Extract<DumpSource, { type: 'kubernetes' }>;

/**
 * What dump collection needs from a KubeConfig: the API server, and its credentials (token,
 * exec plugin, client certificate, CA, proxy) as Node request options. A real `KubeConfig`
 * is one.
 */
export type KubeAccess = Pick<KubeConfig, 'getCurrentCluster' | 'applyToHTTPSOptions'>;
export type KubeClientOption = KubeAccess | (() => KubeAccess | Promise<KubeAccess>);

const RBAC_HINT = 'infra/k8s-rbac.yaml';
const MAX_PODS = 500;
const MAX_LIST_BYTES = 32 << 20;
const ACCEPT = 'text/plain, application/octet-stream;q=0.9, */*;q=0.1';

const podList = z.object({
  metadata: z.object({ continue: z.string().nullish() }).nullish(),
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), deletionTimestamp: z.unknown().optional() }),
      spec: z
        .object({
          containers: z
            .array(z.object({ ports: z.array(z.object({ name: z.string().nullish(), containerPort: z.number() })).nullish() }))
            .nullish(),
        })
        .nullish(),
      status: z
        .object({
          phase: z.string().nullish(),
          podIP: z.string().nullish(),
          conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish(),
        })
        .nullish(),
    }),
  ),
});
type Pod = z.infer<typeof podList>['items'][number];

function nodeAtLeast(major: number, minor: number): boolean {
  const [ma = 0, mi = 0] = process.versions.node.split('.').map(Number);
  return ma > major || (ma === major && mi >= minor);
}

/**
 * Why `@kubernetes/client-node` cannot be loaded here, or null when it can. 2.x runs on undici 8,
 * which needs Node 22.19+; on an older Node the import fails, and under a module loader (tsx,
 * vitest) that failure escapes as an unhandled rejection, so it is not even tried.
 */
export function kubernetesClientProblem(): string | null {
  let version: string;
  try {
    version = (createRequire(import.meta.url)('@kubernetes/client-node/package.json') as { version: string }).version;
  } catch {
    // Inside a Lambda bundle there is no node_modules to look in: the client is bundled, and a
    // failing dynamic import is reported by the caller with its own reason.
    return null;
  }
  if (Number(version.split('.')[0]) >= 2 && !nodeAtLeast(22, 19)) {
    return `@kubernetes/client-node ${version} needs Node 22.19 or later and this is Node ${process.versions.node}: run on Node 22, pin @kubernetes/client-node 1.x, or pass clients.kube`;
  }
  return null;
}

async function loadDefaultKubeConfig(): Promise<KubeAccess> {
  const problem = kubernetesClientProblem();
  if (problem) throw new TargetError(problem);
  let client: typeof import('@kubernetes/client-node');
  try {
    // Loaded only when a Kubernetes source is used without a KubeConfig from the caller.
    client = await import('@kubernetes/client-node');
  } catch (err) {
    throw new TargetError(`the Kubernetes client could not be loaded: ${describeError(err)}`);
  }
  const kc = new client.KubeConfig();
  kc.loadFromDefault();
  const cluster = kc.getCurrentCluster();
  // loadFromDefault falls back to an unauthenticated localhost:8080 when it finds nothing.
  if (!cluster || (cluster.server === 'http://localhost:8080' && !kc.getCurrentUser()?.token)) {
    throw new TargetError('no Kubernetes configuration found (KUBECONFIG, ~/.kube/config or an in-cluster service account)');
  }
  return kc;
}

function apiUrl(server: string, path: string): URL {
  // The server may carry a path prefix (Rancher, some gateways): keep it.
  return new URL(server.replace(/\/+$/, '') + path);
}

interface KubeStatus {
  message: string;
  reason: string;
}

/** The API server answers errors with a `Status` object; the pod behind the proxy does not. */
async function readStatus(res: HttpResponse, signal: AbortSignal): Promise<{ status: KubeStatus | null; text: string }> {
  let text = '';
  try {
    text = (await readText(res.body, 16 << 10, signal)).text;
  } catch {
    return { status: null, text: '' };
  } finally {
    res.body.close();
  }
  try {
    const parsed = JSON.parse(text) as { kind?: unknown; message?: unknown; reason?: unknown };
    if (parsed.kind === 'Status') return { status: { message: String(parsed.message ?? ''), reason: String(parsed.reason ?? '') }, text };
  } catch {
    // Not JSON: an answer from the pod itself.
  }
  return { status: null, text };
}

async function listError(res: HttpResponse, source: KubernetesSource, signal: AbortSignal): Promise<string> {
  const { status, text } = await readStatus(res, signal);
  if (res.status === 403) {
    return `HTTP 403 from the API server: listing pods in namespace ${source.namespace} is forbidden — grant list on pods (${RBAC_HINT})`;
  }
  if (res.status === 401) return 'HTTP 401 from the API server: credentials rejected (expired token?)';
  return `HTTP ${res.status} from the API server listing pods: ${quoteBody(status?.message || text) || 'no detail'}`;
}

async function proxyError(res: HttpResponse, source: KubernetesSource, pod: string, signal: AbortSignal): Promise<TargetError> {
  const { status, text } = await readStatus(res, signal);
  if (status) {
    if (res.status === 403) {
      return new TargetError(
        `HTTP 403 from the API server: pods/proxy forbidden — grant get on pods/proxy in namespace ${source.namespace} (${RBAC_HINT})`,
      );
    }
    if (res.status === 401) return new TargetError('HTTP 401 from the API server: credentials rejected (expired token?)');
    if (res.status === 404) return new TargetError(`HTTP 404 from the API server: pod ${pod} no longer exists`);
    if (res.status >= 500) {
      return new TargetError(`HTTP ${res.status} from the API server: it could not reach the pod (${quoteBody(status.message)})`);
    }
    return new TargetError(`HTTP ${res.status} from the API server: ${quoteBody(status.message) || status.reason}`);
  }
  if (res.status === 404) {
    return new TargetError(
      `HTTP 404 from the pod at ${source.path}: no pprof handler there (import _ "net/http/pprof", or fix the path in the catalog)`,
    );
  }
  const detail = quoteBody(text);
  return new TargetError(`HTTP ${res.status} from the pod (through the API server)${detail ? `: ${detail}` : ''}`);
}

/** Why a pod is not read, or null when it is. */
function notReadable(pod: Pod): string | null {
  if (pod.metadata.deletionTimestamp) return 'pod is terminating';
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase !== 'Running') return `pod is ${phase}, not Running`;
  // Running but not Ready is still read: a readiness probe that pings the database fails
  // exactly when the pool is exhausted, and that replica is the one to look at.
  if (!pod.status?.podIP) return 'pod has no IP yet';
  return null;
}

function resolvePort(pod: Pod, port: number | string): number | string | null {
  if (typeof port === 'number' || /^\d+$/.test(port)) return Number(port);
  // The pod proxy takes numbers only; resolve a named container port from the pod spec.
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === port) return p.containerPort;
  }
  return null;
}

export interface KubernetesContext {
  debug: DumpDebugLevel;
  kube: KubeClientOption | undefined;
  signal: AbortSignal;
}

export async function discoverKubernetes(source: KubernetesSource, ctx: KubernetesContext): Promise<Discovery> {
  const where = `pods ${source.namespace}/${source.selector}`;
  const fail = (reason: string): Discovery => ({ targets: [], gaps: [{ source: 'kubernetes', target: where, reason }] });

  let access: KubeAccess;
  let options: https.RequestOptions = {};
  let server: string;
  try {
    access = ctx.kube === undefined ? await loadDefaultKubeConfig() : typeof ctx.kube === 'function' ? await ctx.kube() : ctx.kube;
    const cluster = access.getCurrentCluster();
    if (!cluster) return fail('the Kubernetes configuration has no current cluster');
    server = cluster.server;
    await access.applyToHTTPSOptions(options);
  } catch (err) {
    return fail(err instanceof TargetError ? err.message : `Kubernetes credentials could not be prepared: ${describeError(err)}`);
  }
  const headers = (options.headers ?? {}) as Record<string, string>;

  const listUrl = apiUrl(server, `/api/v1/namespaces/${encodeURIComponent(source.namespace)}/pods`);
  listUrl.searchParams.set('labelSelector', source.selector);
  listUrl.searchParams.set('limit', String(MAX_PODS));
  let pods: Pod[];
  let more = false;
  try {
    const res = await nodeGet(listUrl, { ...options, headers: { ...headers, accept: 'application/json' } }, ctx.signal);
    if (res.status !== 200) return fail(await listError(res, source, ctx.signal));
    const { text, complete } = await readText(res.body, MAX_LIST_BYTES, ctx.signal);
    if (!complete) return fail(`the pod list was larger than ${MAX_LIST_BYTES >> 20} MiB`);
    const parsed = podList.safeParse(JSON.parse(text));
    if (!parsed.success) return fail(`the API server answered something that is not a pod list: ${quoteBody(parsed.error.message)}`);
    pods = parsed.data.items;
    more = !!parsed.data.metadata?.continue;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return fail(`could not list pods from ${server}: ${describeError(err)}`);
  }

  if (pods.length === 0) return fail(`no pods match ${source.selector} in namespace ${source.namespace}`);
  const gaps: Gap[] = [];
  if (more) gaps.push({ source: 'kubernetes', target: where, reason: `more than ${MAX_PODS} pods match; read the first ${MAX_PODS}` });
  const targets: Target[] = [];
  for (const pod of pods) {
    const name = pod.metadata.name;
    const label = `pod ${source.namespace}/${name}`;
    const skip = notReadable(pod);
    if (skip) {
      gaps.push({ source: 'kubernetes', target: label, reason: skip });
      continue;
    }
    const port = resolvePort(pod, source.port);
    if (port === null) {
      gaps.push({ source: 'kubernetes', target: label, reason: `pod has no container port named "${source.port}"` });
      continue;
    }
    // `pods/[scheme:]name:port/proxy/<path>`: the API server dials the pod itself.
    const proxyPath = (p: number | string, path: string) =>
      `/api/v1/namespaces/${encodeURIComponent(source.namespace)}/pods/${source.scheme === 'https' ? 'https:' : ''}${encodeURIComponent(name)}:${p}/proxy${path}`;
    const url = apiUrl(server, proxyPath(port, source.path));
    url.searchParams.set('debug', String(ctx.debug));
    const leakUrl = leakProfileUrl(url);
    // The metrics page through the same proxy: its own port when the catalog names one.
    const poolUrl = source.metrics === null ? null : apiUrl(server, proxyPath(source.metrics?.port ?? port, source.metrics?.path ?? DEFAULT_METRICS_PATH));
    const optional = (u: URL) => async (signal: AbortSignal) => {
      const res = await nodeGet(u, { ...options, headers: { ...headers, accept: ACCEPT } }, signal);
      if (res.status === 200) return res.body;
      res.body.close();
      return null;
    };
    targets.push({
      source: 'kubernetes',
      replica: name,
      address: pod.status?.podIP ?? null,
      location: url.pathname + url.search,
      label,
      async open(signal) {
        const res = await nodeGet(url, { ...options, headers: { ...headers, accept: ACCEPT } }, signal);
        if (res.status !== 200) throw await proxyError(res, source, name, signal);
        return res.body;
      },
      openLeakProfile: leakUrl ? optional(leakUrl) : undefined,
      openMetrics: poolUrl ? optional(poolUrl) : undefined,
    });
  }
  return { targets, gaps };
}
