import { createServer, type Server } from 'node:http';
import { closedPort } from '../support/dump-targets.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/handwritten/${name}`, import.meta.url));

describe('leakhound analyze', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/debug/pprof/goroutine?debug=1') {
        res.end('goroutine profile: total 2\n2 @ 0x1 0x2\n# labels: {"route":"/export"}\n#\t0x1\tdatabase/sql.(*Rows).awaitDone+0x1\t/go/src/database/sql/sql.go:2970\n\n');
      } else if (req.url === '/hang') {
        // never answers
      } else if (req.url === '/drop') {
        req.socket.destroy(); // the connection goes away without an answer
      } else {
        res.statusCode = 404;
        res.end('404 page not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('prints the verdict first, naming the route', async () => {
    const r = await runCli(['analyze', fixture('go127-labels-debug2.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^TRANSACTION LEAK: route=\/transfer method=POST: 2 transactions never committed or rolled back \[high confidence\]/);
    expect(r.stderr).toBe('');
  });

  it('emits the documented JSON shape', async () => {
    const r = await runCli(['analyze', '--format', 'json', fixture('go119-panic-ancestors.txt')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format: 'traceback', goroutines: 3, truncated: false });
    expect(j.groups[0]).toHaveProperty('count');
    expect(j.groups[0]).toHaveProperty('state');
    expect(j.groups[0].frames[0]).toEqual(expect.objectContaining({ function: expect.any(String), file: expect.any(String), line: expect.any(Number) }));
    expect(j.findings[0]).toMatchObject({
      kind: 'tx-leak',
      count: 2,
      confidence: 'high',
      culprit: { function: 'main.(*api).transfer', file: '/src/billing/handlers.go', line: 51, labels: {} },
    });
  });

  it('reads replicas from URLs and stdin as one service', async () => {
    const stdin = await import('node:fs').then((fs) => fs.readFileSync(fixture('debug1-labels.txt')));
    const r = await runCli(['analyze', '--format', 'json', `${base}/debug/pprof/goroutine?debug=1`, '-'], { stdin });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.inputs).toHaveLength(2);
    expect(j.goroutines).toBe(11);
    expect(j.findings.map((f: { kind: string }) => f.kind)).toEqual(['tx-leak', 'rows-leak', 'pool-exhausted']);
  });

  it('diffs against a base dump', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lh-'));
    const before = join(dir, 'before.txt');
    writeFileSync(before, 'goroutine profile: total 1\n1 @ 0x1\n# labels: {"method":"POST", "route":"/transfer"}\n#\t0x1\truntime.gopark+0x1\t/go/src/runtime/proc.go:1\n#\t0x1\tdatabase/sql.(*Tx).awaitDone+0x1\t/x/sql.go:2175\n\n');
    const r = await runCli(['analyze', '--base', before, fixture('debug1-labels.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Growth since base: 1 -> 9 goroutines/);
    expect(r.stdout).toMatch(/\+3 \(1 -> 4\) tx-leak/);
  });

  it.each([
    [['analyze', '/nonexistent/dump.txt'], /^leakhound analyze: \/nonexistent\/dump.txt: no such file\n$/],
    [['analyze', fileURLToPath(new URL('.', import.meta.url))], /is a directory, not a dump\n$/],
    [['analyze', '--format', 'yaml', 'x'], /--format must be one of text, json/],
    [['analyze'], /no dump given/],
    [['analyze', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the file and the problem for input that is not a dump', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lh-'));
    const junk = join(dir, 'junk.html');
    writeFileSync(junk, '<html>502 Bad Gateway</html>\n');
    const r = await runCli(['analyze', junk]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`leakhound analyze: ${junk}: no goroutines found (starts with "<html>502 Bad Gateway</html>"): not a Go goroutine dump\n`);
  });

  it('names the URL and the HTTP status, and gives up on a hung target by its timeout', async () => {
    const missing = await runCli(['analyze', `${base}/nope`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\/nope: HTTP 404 Not Found\n$/);
    const hung = await runCli(['analyze', '--timeout', '300ms', `${base}/hang`]);
    expect(hung.code).toBe(2);
    expect(hung.stderr).toMatch(/\/hang: no answer within 300 ms\n$/);
  });

  it('words network failures as triage does, not as error codes', async () => {
    const refused = await runCli(['analyze', `http://127.0.0.1:${await closedPort()}/debug/pprof/goroutine`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/: connection refused\n$/);
    const dropped = await runCli(['analyze', `${base}/drop`]);
    expect(dropped.code).toBe(2);
    expect(dropped.stderr).toMatch(/\/drop: connection closed by the peer\n$/);
    expect(refused.stderr + dropped.stderr).not.toMatch(/ECONN|UND_ERR|fetch failed/);
  });
});
