// Kubernetes through a local stand-in for the API server, at the wire level: the pod list by label
// selector, then each pod through the API server's pod proxy with the KubeConfig's credentials.
import type https from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DumpLimits, DumpSource } from '../../lib/catalog/index.ts';
import { collectDumps, kubernetesClientProblem, type KubeAccess } from '../../lib/dumps/index.ts';
import { DEBUG1, DEBUG2, serviceWith, sleep, startServer, type TestServer } from '../support/dump-targets.ts';

const limits: DumpLimits = { concurrency: 4, timeoutSeconds: 2, maxBytes: 1 << 20 };
const soon = (): number => Date.now() + 5000;
const TOKEN = 'kube-token-abc123';

// @kubernetes/client-node 2.x runs on undici 8, which needs Node 22.19+. Where it cannot load, the
// real-client variant is skipped (and named so), and the collector's gap for it is checked instead.
const clientProblem = kubernetesClientProblem();
const realClient = clientProblem === null ? await import('@kubernetes/client-node') : null;

interface PodSpec {
  name: string;
  phase?: string;
  ready?: boolean;
  ip?: string | null;
  terminating?: boolean;
  ports?: Array<{ name?: string; containerPort: number }>;
}

function pod(p: PodSpec): object {
  return {
    metadata: { name: p.name, namespace: 'shop', ...(p.terminating ? { deletionTimestamp: '2024-05-01T10:00:00Z' } : {}) },
    spec: { containers: [{ name: 'app', ports: p.ports ?? [{ name: 'pprof', containerPort: 6060 }] }] },
    status: {
      phase: p.phase ?? 'Running',
      ...(p.ip === null ? {} : { podIP: p.ip ?? `10.0.0.${p.name.length}` }),
      conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True' }],
    },
  };
}

const status = (code: number, reason: string, message: string): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** What the stand-in API server answers; tests replace parts of it. */
let scene: {
  listStatus: number;
  pods: PodSpec[];
  /** Pod name -> how its proxy answers. */
  proxy: Record<string, 'dump1' | 'dump2' | 'rbac' | 'gone' | 'pod404' | 'unreachable' | 'hang'>;
};

let api: TestServer;
beforeAll(async () => {
  api = await startServer({
    async api(req, res) {
      const url = new URL(req.url!, 'http://x');
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end(status(401, 'Unauthorized', 'Unauthorized'));
      }
      if (url.pathname === '/api/v1/namespaces/shop/pods') {
        if (scene.listStatus === 403) {
          res.writeHead(403, { 'content-type': 'application/json' });
          return void res.end(
            status(403, 'Forbidden', 'pods is forbidden: User "system:serviceaccount:ops:leakhound" cannot list resource "pods" in API group "" in the namespace "shop"'),
          );
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: scene.pods.map(pod) }));
      }
      const m = /^\/api\/v1\/namespaces\/shop\/pods\/(?:https:)?([^/:]+):(\d+)\/proxy\/debug\/pprof\/goroutine$/.exec(url.pathname);
      const how = m ? scene.proxy[m[1]!] : undefined;
      switch (how) {
        case 'dump1':
        case 'dump2':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          return void res.end(url.searchParams.get('debug') === '2' ? DEBUG2 : DEBUG1);
        case 'rbac':
          res.writeHead(403, { 'content-type': 'application/json' });
          return void res.end(
            status(403, 'Forbidden', `pods "${m![1]}" is forbidden: User "system:serviceaccount:ops:leakhound" cannot get resource "pods/proxy" in API group "" in the namespace "shop"`),
          );
        case 'gone':
          res.writeHead(404, { 'content-type': 'application/json' });
          return void res.end(status(404, 'NotFound', `pods "${m![1]}" not found`));
        case 'pod404':
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          return void res.end('404 page not found\n');
        case 'unreachable':
          res.writeHead(503, { 'content-type': 'application/json' });
          return void res.end(status(503, 'ServiceUnavailable', 'error trying to reach service: dial tcp 10.0.0.9:6060: connect: connection refused'));
        case 'hang':
          await sleep(10_000);
          return;
        default:
          res.writeHead(404, { 'content-type': 'application/json' });
          return void res.end(status(404, 'NotFound', 'the server could not find the requested resource'));
      }
    },
  });
});
afterAll(() => api.close());
beforeEach(() => {
  scene = { listStatus: 200, pods: [], proxy: {} };
  api.requests.length = 0;
});

const source = (over: Partial<Extract<DumpSource, { type: 'kubernetes' }>> = {}): DumpSource => ({
  type: 'kubernetes',
  namespace: 'shop',
  selector: 'app=billing',
  port: 6060,
  scheme: 'http',
  path: '/debug/pprof/goroutine',
  ...over,
});

/** A token user, as `KubeConfig.applyToHTTPSOptions` prepares it: the same two calls, nothing more. */
function tokenAccess(server: string, token = TOKEN): KubeAccess {
  return {
    getCurrentCluster: () => ({ name: 'test', server, skipTLSVerify: true }),
    applyToHTTPSOptions: async (opts: https.RequestOptions) => {
      opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
    },
  } as unknown as KubeAccess;
}

function realKubeConfig(server: string): KubeAccess {
  const kc = new realClient!.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'bot', token: TOKEN }],
    contexts: [{ name: 'test', cluster: 'test', user: 'bot' }],
    currentContext: 'test',
  });
  return kc;
}

const variants: Array<[string, (server: string) => KubeAccess]> = [['a token KubeConfig stand-in', tokenAccess]];
if (realClient) variants.push(['the real @kubernetes/client-node KubeConfig', realKubeConfig]);

describe.each(variants)('Kubernetes pod proxy with %s', (_name, access) => {
  const server = (): string => api.url;

  it('lists pods by selector and reads Running ones through the pod proxy with the token', async () => {
    scene.pods = [
      { name: 'billing-7d9f-a', ip: '10.0.1.11' },
      { name: 'billing-7d9f-b', ip: '10.0.1.12', ready: false },
      { name: 'billing-7d9f-c', phase: 'Pending', ip: null },
      { name: 'billing-7d9f-d', terminating: true },
    ];
    scene.proxy = { 'billing-7d9f-a': 'dump1', 'billing-7d9f-b': 'dump1' };
    const result = await collectDumps(serviceWith([source()]), limits, { deadline: soon(), clients: { kube: access(server()) } });

    expect(api.requests[0]?.url).toBe('/api/v1/namespaces/shop/pods?labelSelector=app%3Dbilling&limit=500');
    const proxied = api.requests.slice(1).map((r) => r.url).sort();
    // Each pod's goroutine profile, then its leak profile (Go 1.26+; a 404 here, silently carried
    // on), and its pool metrics page through the same proxy (likewise).
    expect(proxied).toEqual([
      '/api/v1/namespaces/shop/pods/billing-7d9f-a:6060/proxy/debug/pprof/goroutine?debug=1',
      '/api/v1/namespaces/shop/pods/billing-7d9f-a:6060/proxy/debug/pprof/goroutineleak?debug=1',
      '/api/v1/namespaces/shop/pods/billing-7d9f-a:6060/proxy/metrics',
      '/api/v1/namespaces/shop/pods/billing-7d9f-b:6060/proxy/debug/pprof/goroutine?debug=1',
      '/api/v1/namespaces/shop/pods/billing-7d9f-b:6060/proxy/debug/pprof/goroutineleak?debug=1',
      '/api/v1/namespaces/shop/pods/billing-7d9f-b:6060/proxy/metrics',
    ]);
    expect(result.gaps.map((g) => g.reason)).toEqual(['pod is Pending, not Running', 'pod is terminating']);
    expect(api.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);

    expect(result.replicas.map((r) => [r.replica, r.address, r.source, r.dump?.format, r.gap])).toEqual([
      ['billing-7d9f-a', '10.0.1.11', 'kubernetes', 'debug1', null],
      ['billing-7d9f-b', '10.0.1.12', 'kubernetes', 'debug1', null],
    ]);
    expect(result.replicas[0]?.location).toBe('/api/v1/namespaces/shop/pods/billing-7d9f-a:6060/proxy/debug/pprof/goroutine?debug=1');
    expect(result.gaps).toEqual([
      { source: 'kubernetes', target: 'pod shop/billing-7d9f-c', reason: 'pod is Pending, not Running' },
      { source: 'kubernetes', target: 'pod shop/billing-7d9f-d', reason: 'pod is terminating' },
    ]);
  });

  it('resolves a named port, takes debug=2 when asked, and uses the https: scheme prefix', async () => {
    scene.pods = [{ name: 'billing-a', ports: [{ name: 'http', containerPort: 8080 }, { name: 'pprof', containerPort: 6061 }] }, { name: 'billing-b', ports: [] }];
    scene.proxy = { 'billing-a': 'dump2' };
    const result = await collectDumps(serviceWith([source({ port: 'pprof', scheme: 'https' })], 2), limits, {
      deadline: soon(),
      clients: { kube: () => access(server()) },
    });
    expect(api.requests[1]?.url).toBe('/api/v1/namespaces/shop/pods/https:billing-a:6061/proxy/debug/pprof/goroutine?debug=2');
    expect(result.replicas).toHaveLength(1);
    expect(result.replicas[0]?.dump?.format).toBe('debug2');
    expect(result.gaps).toEqual([{ source: 'kubernetes', target: 'pod shop/billing-b', reason: 'pod has no container port named "pprof"' }]);
  });

  it('explains API-server refusals: RBAC on pods/proxy, a vanished pod, an unreachable pod, a missing handler', async () => {
    scene.pods = [{ name: 'p-rbac' }, { name: 'p-gone' }, { name: 'p-down' }, { name: 'p-404' }];
    scene.proxy = { 'p-rbac': 'rbac', 'p-gone': 'gone', 'p-down': 'unreachable', 'p-404': 'pod404' };
    const result = await collectDumps(serviceWith([source()]), limits, { deadline: soon(), clients: { kube: access(server()) } });
    const reason = (name: string): string | undefined => result.replicas.find((r) => r.replica === name)?.gap?.reason;
    expect(reason('p-rbac')).toBe(
      'HTTP 403 from the API server: pods/proxy forbidden — grant get on pods/proxy in namespace shop (infra/k8s-rbac.yaml)',
    );
    expect(reason('p-gone')).toBe('HTTP 404 from the API server: pod p-gone no longer exists');
    expect(reason('p-down')).toBe(
      'HTTP 503 from the API server: it could not reach the pod (error trying to reach service: dial tcp 10.0.0.9:6060: connect: connection refused)',
    );
    expect(reason('p-404')).toBe(
      'HTTP 404 from the pod at /debug/pprof/goroutine: no pprof handler there (import _ "net/http/pprof", or fix the path in the catalog)',
    );
    expect(result.gaps.map((g) => g.target)).toEqual(['pod shop/p-rbac', 'pod shop/p-gone', 'pod shop/p-down', 'pod shop/p-404']);
  });

  it('gives up on a pod whose proxy does not answer within the per-target timeout', async () => {
    scene.pods = [{ name: 'p-ok' }, { name: 'p-hang' }];
    scene.proxy = { 'p-ok': 'dump1', 'p-hang': 'hang' };
    const result = await collectDumps(serviceWith([source()]), { ...limits, timeoutSeconds: 0.3 }, { deadline: soon(), clients: { kube: access(server()) } });
    expect(result.replicas.map((r) => r.gap?.reason ?? null)).toEqual([null, 'timed out after 0.3 s waiting for a response']);
  });

  it('reports a forbidden pod list with the RBAC fix, and an empty one by its selector', async () => {
    scene.listStatus = 403;
    const denied = await collectDumps(serviceWith([source()]), limits, { deadline: soon(), clients: { kube: access(server()) } });
    expect(denied.replicas).toEqual([]);
    expect(denied.gaps).toEqual([
      {
        source: 'kubernetes',
        target: 'pods shop/app=billing',
        reason: 'HTTP 403 from the API server: listing pods in namespace shop is forbidden — grant list on pods (infra/k8s-rbac.yaml)',
      },
    ]);
    scene.listStatus = 200;
    const none = await collectDumps(serviceWith([source()]), limits, { deadline: soon(), clients: { kube: access(server()) } });
    expect(none.gaps.map((g) => g.reason)).toEqual(['no pods match app=billing in namespace shop']);
  });
});

describe('Kubernetes failures before any pod is read', () => {
  it('names rejected credentials', async () => {
    scene.pods = [{ name: 'billing-a' }];
    const result = await collectDumps(serviceWith([source()]), limits, { deadline: soon(), clients: { kube: tokenAccess(api.url, 'expired') } });
    expect(result.gaps.map((g) => g.reason)).toEqual(['HTTP 401 from the API server: credentials rejected (expired token?)']);
  });

  it('names an API server that cannot be reached', async () => {
    const result = await collectDumps(serviceWith([source()]), limits, { deadline: soon(), clients: { kube: tokenAccess('http://127.0.0.1:1') } });
    expect(result.gaps).toEqual([
      { source: 'kubernetes', target: 'pods shop/app=billing', reason: 'could not list pods from http://127.0.0.1:1: connection refused' },
    ]);
  });

  it('names a factory that fails', async () => {
    const result = await collectDumps(serviceWith([source()]), limits, {
      deadline: soon(),
      clients: {
        kube: () => {
          throw new Error('exec plugin aws-iam-authenticator not found');
        },
      },
    });
    expect(result.gaps[0]?.reason).toBe('Kubernetes credentials could not be prepared: exec plugin aws-iam-authenticator not found');
  });

  it('the pinned Kubernetes client (1.x) loads on this Node, so the real-client variant runs', () => {
    // 2.x needs Node 22.19 (undici 8); on older Node the collector reports a gap instead of crashing.
    expect(clientProblem).toBeNull();
    expect(variants).toHaveLength(2);
  });
});
