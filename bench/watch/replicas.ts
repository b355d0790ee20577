// Watch bench child: the fleet's replicas. One HTTP server per service on its own loopback
// address (127.0.1.x, as pods have their own IPs), serving each of its replicas' debug=1 dump at
// /r/<k>/debug/pprof/goroutine (a real one, captured from this project's Go service) and a small
// database/sql pool page at /metrics. GET /__counts on the first server answers the request counts.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

const [servicesArg = '200'] = process.argv.slice(2);
const services = Number(servicesArg);
const dump = readFileSync(new URL('../../test/fixtures/dumps/go119-debug1.txt', import.meta.url));
const metrics = [
  '# TYPE go_sql_max_open_connections gauge',
  'go_sql_max_open_connections{db_name="orders"} 20',
  '# TYPE go_sql_in_use_connections gauge',
  'go_sql_in_use_connections{db_name="orders"} 3',
  '# TYPE go_sql_idle_connections gauge',
  'go_sql_idle_connections{db_name="orders"} 2',
  '# TYPE go_sql_wait_count_total counter',
  'go_sql_wait_count_total{db_name="orders"} 0',
  '',
].join('\n');
const counts = { goroutine: 0, metrics: 0, other: 0, connections: 0 };
const servers: Server[] = [];

import { hostOf } from './hosts.ts';

async function main(): Promise<void> {
  let port = 0;
  for (let s = 0; s < services; s++) {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (path === '/__counts') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
      else if (/^\/r\/\d+\/debug\/pprof\/goroutine$/.test(path)) {
        counts.goroutine++;
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(dump);
      } else if (path === '/metrics') {
        counts.metrics++;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics);
      } else {
        counts.other++;
        res.writeHead(404).end('404 page not found\n');
      }
    });
    server.on('connection', () => counts.connections++);
    // Every server on the same port, each on its own address: the parent needs one number.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, hostOf(s), () => resolve());
    });
    if (port === 0) port = (server.address() as { port: number }).port;
    servers.push(server);
  }
  process.stdout.write(`READY ${port}\n`);
}

process.on('SIGTERM', () => {
  for (const s of servers) s.close();
  process.exit(0);
});
// The parent going away ends us too.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
await main();
