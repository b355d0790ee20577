// A local HTTP server standing in for the Kubernetes API server at the wire level: the real
// @kubernetes/client-node (KubeConfig.loadFromOptions, token user) talks to it over HTTP, and
// every request is kept so tests can assert exactly what went over the wire.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

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
  /** A real @kubernetes/client-node KubeConfig pointing at this server, with a token user. */
  kubeConfig: KubeConfig;
  setRoute(route: Route): void;
  close(): Promise<void>;
}

export const TOKEN = 'test-token-123';

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
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
    users: [{ name: 'bot', token: TOKEN }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'bot' }],
    currentContext: 'fake',
  });
  return {
    url,
    requests,
    kubeConfig,
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
