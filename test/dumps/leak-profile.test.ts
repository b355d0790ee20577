// The goroutine leak profile (Go 1.26+, /debug/pprof/goroutineleak): read beside each replica's
// dump when served, its goroutines counted as proved leaks; a 404 is no gap and no finding.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDumps } from '../../lib/dumps/index.ts';
import { findLeaks } from '../../lib/goroutines/index.ts';
import { serviceWith, startServer, type TestServer } from '../support/dump-targets.ts';

// Real goroutineleak?debug=1 output (test/fixtures/wild: Go 1.27 notes): 3 goroutines of main.sendNoRecv.func1.
const LEAK_PROFILE = readFileSync(new URL('../fixtures/wild/dumps/go127-goroutineleak-debug1-tutorial.txt', import.meta.url), 'utf8');
// The same process's goroutine profile: those 3, plus a worker that is merely waiting.
const GOROUTINES = `${LEAK_PROFILE.replace('goroutineleak profile: total 3', 'goroutine profile: total 5')}
2 @ 0x47d84a 0x41421c 0x4836a1
#\t0x4dec3d\tmain.worker+0x1d\tex/t31prof.go:30
`;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    modern(req, res) {
      res.end(req.url!.includes('/goroutineleak') ? LEAK_PROFILE : GOROUTINES);
    },
    older(req, res) {
      if (req.url!.includes('/goroutineleak')) {
        res.statusCode = 404;
        return void res.end('404 page not found\n');
      }
      res.end(GOROUTINES);
    },
    // Answers every path with the goroutine profile: no proof of anything.
    echo(_req, res) {
      res.end(GOROUTINES);
    },
  });
});
afterAll(() => server.close());

const read = async (route: string) => {
  const url = `${server.url}/${route}/debug/pprof/goroutine`;
  const result = await collectDumps(serviceWith([{ type: 'http', urls: [url] }]), { concurrency: 2, timeoutSeconds: 3, maxBytes: 1 << 20 }, { deadline: Date.now() + 5000 });
  expect(result.replicas).toHaveLength(1);
  return result.replicas[0]!;
};

describe('goroutine leak profile', () => {
  it('marks the goroutines the runtime proved leaked and reports them as a confirmed leak', async () => {
    const r = await read('modern');
    expect(r.gap).toBeNull();
    expect(r.dump?.goroutines).toBe(5);
    const findings = findLeaks(r.dump!);
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'goroutine-leak', count: 3, proved: 3, confidence: 'high', culprit: expect.objectContaining({ function: 'main.sendNoRecv.func1' }) }),
    ]);
    expect(server.requests.map((q) => q.url)).toContain('/modern/debug/pprof/goroutineleak?debug=1');
  });

  it('carries on silently when the service has no leak profile (404)', async () => {
    const r = await read('older');
    expect(r.gap).toBeNull();
    expect(findLeaks(r.dump!)).toEqual([]);
  });

  it('proves nothing from a server that answers every path with its goroutine dump', async () => {
    const r = await read('echo');
    expect(findLeaks(r.dump!)).toEqual([]);
  });
});
