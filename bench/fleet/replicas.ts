// Fleet bench child: the replicas of the service. One HTTP server per replica, each on its own
// loopback address (127.0.x.y: Linux routes all of 127/8 to lo), as pods have their own IPs.
// Each serves a real debug=1 goroutine dump at /debug/pprof/goroutine and answers 404 at
// /debug/pprof/goroutineleak, as a Go runtime before 1.26 does.
import { createServer, type Server } from 'node:http';
import { DUMP_FIXTURES, loadDumpFixtures } from './dump-fixtures.ts';
import { log, receive, runChild, send } from './ipc.ts';

const LIFETIME_MS = 30 * 60_000;
const servers: Server[] = [];
// What Go's net/http answers for a path no handler serves.
const NOT_FOUND = '404 page not found\n';
const counts = { goroutine: 0, goroutineLeak: 0, other: 0, connections: 0 };

/** Replica i's address: 127.0.1.1 … 127.0.1.250, 127.0.2.1 …; clear of 127.0.0.1 where PostgreSQL listens. */
export function replicaHost(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

function serve(host: string, dump: Buffer): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/debug/pprof/goroutine') {
      counts.goroutine++;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(dump);
    } else if (path === '/debug/pprof/goroutineleak') {
      counts.goroutineLeak++;
      // The collector's last request to this replica in a triage. Alarms come minutes apart,
      // so in production no connection survives from one triage to the next: closing here
      // makes every measured run pay its 500 connects, as a real triage does.
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(NOT_FOUND);
    } else {
      counts.other++;
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(NOT_FOUND);
    }
  });
  server.on('connection', () => counts.connections++);
  // A request that stalls must not hold a socket for the rest of the bench.
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

async function main(): Promise<void> {
  const { replicas } = await receive('serve-replicas');
  const dumps = loadDumpFixtures();
  const urls: string[] = [];
  const served: Record<string, number> = {};
  for (let i = 0; i < replicas; i++) {
    const fixture = DUMP_FIXTURES[i % DUMP_FIXTURES.length]!;
    const server = await serve(replicaHost(i), dumps.get(fixture)!);
    servers.push(server);
    urls.push(`http://${replicaHost(i)}:${(server.address() as { port: number }).port}`);
    served[fixture] = (served[fixture] ?? 0) + 1;
  }
  log(`${servers.length} replicas serving`);
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'ask-request-counts') send({ type: 'request-counts', ...counts });
  });
  send({ type: 'replicas-serving', urls, dumps: served });
}

async function closeAll(): Promise<void> {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
}

runChild('fleet replicas', LIFETIME_MS, main, closeAll);
