// Local stand-ins for dump targets: replica servers that are fast, slow, hung, trickling, endless…
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DumpDebugLevel, DumpSource, Service } from '../../lib/catalog/index.ts';

const FIXTURES = new URL('../fixtures/dumps/', import.meta.url);
export const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));
export const DEBUG1 = fixture('go119-debug1.txt');
export const DEBUG2 = fixture('go119-debug2.txt');
export const DEBUG0 = fixture('go119-debug0.pb.gz');
export const dumpFor = (debug: string | null): Buffer => (debug === '2' ? DEBUG2 : debug === '0' ? DEBUG0 : DEBUG1);

/** One victim goroutine of the debug=2 fixture, repeated: a body as long as anyone asks for. */
const VICTIM = (() => {
  const text = DEBUG2.toString('latin1');
  const start = text.indexOf('goroutine 57 [select]:');
  return text.slice(start, text.indexOf('\n\n', start) + 2);
})();
export const ENDLESS_CHUNK = Buffer.from(VICTIM.repeat(Math.ceil((64 << 10) / VICTIM.length)), 'latin1');

export function serviceWith(sources: DumpSource[], debug: DumpDebugLevel = 1): Service {
  return {
    name: 'billing-api',
    description: null,
    applicationNames: ['billing-api'],
    database: { id: 'billing', engine: 'postgres', url: { kind: 'env', name: 'BILLING_DATABASE_URL' }, rds: null, maxConnections: null },
    loadBalancer: null,
    dumps: { debug, sources },
    restart: null,
    slackChannel: '#billing-oncall',
    approvers: { users: [], usergroup: null },
    twoPersonRule: true,
    approvalTtlMinutes: 15,
    alarms: { names: [], dimensions: {}, labels: {}, kind: null },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface TestServer {
  url: string;
  port: number;
  requests: Recorded[];
  /** Bytes written by the endless route, and whether its client hung up. */
  endless: { sent: number; closed: boolean };
  /** Most requests in flight at once on the /hold route. */
  hold: { now: number; max: number };
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, server: TestServer) => void | Promise<void>;

/** Routes are picked by the first path segment: /fast/debug/pprof/goroutine, /hung/…, … */
export const replicaRoutes: Record<string, Handler> = {
  fast(req, res) {
    res.end(dumpFor(new URL(req.url!, 'http://x').searchParams.get('debug')));
  },
  async slow(req, res) {
    await sleep(200);
    res.end(dumpFor(new URL(req.url!, 'http://x').searchParams.get('debug')));
  },
  hung() {
    // Never answers; the socket is destroyed when the server closes.
  },
  async trickle(_req, res) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const lines = DEBUG2.toString('latin1').split('\n');
    for (let i = 0; !res.destroyed; i++) {
      res.write(`${lines[i % lines.length]}\n`);
      await sleep(10);
    }
  },
  garbage(_req, res) {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body>Welcome to nginx!</body></html>\n');
  },
  empty(_req, res) {
    res.end();
  },
  endless(_req, res, server) {
    // ~500 MB if nobody stops reading; written with backpressure, never allocated.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const limit = 500e6;
    res.on('close', () => (server.endless.closed = true));
    const pump = (): void => {
      while (!res.destroyed && server.endless.sent < limit) {
        server.endless.sent += ENDLESS_CHUNK.length;
        if (!res.write(ENDLESS_CHUNK)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  },
  missing(_req, res) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  },
  redirect(_req, res) {
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
    res.end();
  },
  secret(req, res) {
    if (req.headers.authorization !== `Basic ${Buffer.from('pprof:s3cret').toString('base64')}`) {
      res.writeHead(401);
      return void res.end('unauthorized');
    }
    res.end(DEBUG1);
  },
  async hold(_req, res, server) {
    server.hold.now++;
    server.hold.max = Math.max(server.hold.max, server.hold.now);
    await sleep(150);
    server.hold.now--;
    res.end(DEBUG1);
  },
};

export async function startServer(routes: Record<string, Handler>, host = '127.0.0.1', port = 0): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state: TestServer = {
    url: '',
    port: 0,
    requests: [],
    endless: { sent: 0, closed: false },
    hold: { now: 0, max: 0 },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const route = routes[(req.url ?? '/').split('/')[1]!.split('?')[0]!] ?? routes['*'];
    if (!route) {
      res.writeHead(500);
      return void res.end('no route');
    }
    Promise.resolve(route(req, res, state)).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://${host}:${state.port}`;
  return state;
}

/** A port that refuses connections: bound, then released. */
export async function closedPort(): Promise<number> {
  const s = await startServer({});
  await s.close();
  return s.port;
}
