// A local HTTP server standing in for the Kubernetes API server at the wire level: the real
// @kubernetes/client-node talks to it over HTTP with a bearer token, and every request is kept
// so tests can assert exactly what went over the wire.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { kubernetesClientProblem } from '../../lib/dumps/index.ts';
import type { KubeCredentials } from '../../lib/remediation/index.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Route = (req: RecordedRequest) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>;

export interface FakeKube {
  url: string;
  requests: RecordedRequest[];
  /** Credentials as a minimal stand-in (token user), usable on any Node. */
  credentials: KubeCredentials;
  /** The real @kubernetes/client-node KubeConfig (loadFromOptions), where the client loads. */
  realKubeConfig: KubeCredentials | null;
  setRoute(route: Route): void;
  close(): Promise<void>;
}

export const TOKEN = 'test-token-123';

/**
 * Why the real client cannot load here (2.x needs Node 22.19+ for undici 8), or null. Where it
 * can, the suite runs a second time with a KubeConfig built by the real client.
 */
export const CLIENT_PROBLEM = kubernetesClientProblem();

export async function startFakeKube(route: Route): Promise<FakeKube> {
  const requests: RecordedRequest[] = [];
  let current = route;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(rec);
      try {
        const out = await current(rec);
        res.writeHead(out.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out.body));
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', status: 'Failure', message: String(err), code: 500 }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const credentials: KubeCredentials = {
    getCurrentCluster: () => ({ name: 'fake', server: url, skipTLSVerify: true }),
    applyToHTTPSOptions: async (opts) => {
      opts.headers = { ...opts.headers, Authorization: `Bearer ${TOKEN}` };
    },
  };
  let realKubeConfig: KubeCredentials | null = null;
  if (CLIENT_PROBLEM === null) {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
      users: [{ name: 'bot', token: TOKEN }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'bot' }],
      currentContext: 'fake',
    });
    realKubeConfig = kc;
  }
  return {
    url,
    requests,
    credentials,
    realKubeConfig,
    setRoute: (r) => (current = r),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function status(code: number, reason: string, message: string) {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code } };
}

export interface DeploymentState {
  generation: number;
  observedGeneration: number;
  replicas: number;
  desired: number;
  updated: number;
  available: number;
  ready?: number;
  paused?: boolean;
  annotations?: Record<string, string>;
  progressDeadlineExceeded?: boolean;
}

export function deployment(namespace: string, name: string, s: DeploymentState) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, generation: s.generation, uid: 'u-1', resourceVersion: String(100 + s.generation) },
    spec: {
      replicas: s.desired,
      paused: s.paused ?? undefined,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations: s.annotations ?? {} }, spec: { containers: [{ name, image: `${name}:1` }] } },
    },
    status: {
      observedGeneration: s.observedGeneration,
      replicas: s.replicas,
      updatedReplicas: s.updated,
      readyReplicas: s.ready ?? s.available,
      availableReplicas: s.available,
      conditions: s.progressDeadlineExceeded
        ? [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${name}-abc" has timed out progressing.` }]
        : [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
    },
  };
}
