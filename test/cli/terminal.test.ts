// What the CLI prints is safe for a terminal and keeps secrets: control characters from dump
// files, URLs and alert files are shown as escapes in every message (a dump holding `ESC ]0;…BEL`
// must not set the window title), and a URL's password is never printed back — not in the
// report, the JSON, nor an error.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const PASSWORD = 'Cli-Pass-77';
const ESCAPES = '\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e';
/** Raw control characters that must never reach the terminal (new lines and tabs of the output aside). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const dump = (label: string, fn: string) =>
  `goroutine profile: total 2\n2 @ 0x1 0x2\n# labels: {"route":${JSON.stringify(label)}}\n#\t0x1\tdatabase/sql.(*Tx).awaitDone+0x1\t/go/src/database/sql/sql.go:2290\n#\t0x2\t${fn}+0x1\t/app/main.go:10\n\n`;

describe('leakhound output on a terminal', () => {
  let server: Server;
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'lh-term-'));
  beforeAll(async () => {
    server = createServer((req, res) => {
      // The dump behind Basic auth: the URL's credentials must still be used, only never printed.
      const authorised = req.headers.authorization === `Basic ${Buffer.from(`pprof:${PASSWORD}`).toString('base64')}`;
      if (req.url === '/debug/pprof/goroutine?debug=1' && authorised) res.end(dump('/export', 'main.handler'));
      else {
        res.statusCode = 404;
        res.end('nope');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('never prints the password of a dump URL back: text, JSON, or an error', async () => {
    const url = `http://pprof:${PASSWORD}@${base}/debug/pprof/goroutine?debug=1`;
    const text = await runCli(['analyze', url]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('TRANSACTION LEAK');
    expect(text.stdout).toContain(`http://pprof:***@${base}/debug/pprof/goroutine?debug=1`);
    const json = await runCli(['analyze', '--format', 'json', url]);
    expect(JSON.parse(json.stdout).inputs[0].source).toBe(`http://pprof:***@${base}/debug/pprof/goroutine?debug=1`);
    const missing = await runCli(['analyze', `http://pprof:${PASSWORD}@${base}/nope`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`leakhound analyze: http://pprof:***@${base}/nope: HTTP 404 Not Found\n`);
    const refused = await runCli(['analyze', '--timeout', '2s', `http://pprof:${PASSWORD}@127.0.0.1:1/debug/pprof/goroutine`]);
    expect(refused.code).toBe(2);
    for (const r of [text, json, missing, refused]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('escapes control characters from a dump file: labels and function names in text and JSON', async () => {
    const file = join(dir, 'escapes.txt');
    writeFileSync(file, dump(`/export${ESCAPES}`, `main.handler${ESCAPES}`));
    const text = await runCli(['analyze', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(RAW_CONTROL);
    expect(text.stdout).toContain('\\e]0;pwned\\x07');
    const json = await runCli(['analyze', '--format', 'json', file]);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('pwned');
  });

  it('escapes control characters in errors: a file name, a file that is not a dump, an alert file', async () => {
    const notDump = join(dir, 'not-a-dump.txt');
    writeFileSync(notDump, `${ESCAPES} hello\n`);
    const odd = join(dir, `odd${ESCAPES}.txt`);
    const alert = join(dir, 'alert.json');
    writeFileSync(alert, JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'maybe', labels: { alertname: `x${ESCAPES}` } }] }));
    const catalog = join(dir, 'catalog.yml');
    writeFileSync(catalog, 'services:\n  - name: billing-api\n    database: { engine: postgres, url: { env: NO_SUCH_DB_URL } }\n');
    const results = await Promise.all([
      runCli(['analyze', notDump]),
      runCli(['analyze', odd]),
      runCli(['triage', '--config', catalog, '--alert', alert]),
      runCli([`bogus${ESCAPES}`]),
    ]);
    for (const r of results) {
      expect(r.code).toBeGreaterThan(0);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(results[1]!.stderr).toContain('odd\\e]0;pwned\\x07\\e[2J\\x9b31m\\u202e.txt: no such file');
  });
});
