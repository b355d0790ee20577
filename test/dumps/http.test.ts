// Plain HTTP dump targets against local replica servers: every way a replica can misbehave ends
// as a named gap or a partial dump, and the call keeps its deadline and its concurrency bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DumpLimits } from '../../lib/catalog/index.ts';
import { collectDumps, goroutineUrl, type ReplicaDump } from '../../lib/dumps/index.ts';
import { closedPort, DEBUG1, replicaRoutes, serviceWith, startServer, type TestServer } from '../support/dump-targets.ts';

const limits = (over: Partial<DumpLimits> = {}): DumpLimits => ({ concurrency: 8, timeoutSeconds: 2, maxBytes: 1 << 20, ...over });
const soon = (ms = 5000): number => Date.now() + ms;

let server: TestServer;
beforeAll(async () => {
  server = await startServer(replicaRoutes);
});
afterAll(() => server.close());

const at = (route: string, path = '/debug/pprof/goroutine'): string => `${server.url}/${route}${path}`;
const only = (r: { replicas: ReplicaDump[] }): ReplicaDump => {
  expect(r.replicas).toHaveLength(1);
  return r.replicas[0]!;
};

describe('goroutineUrl', () => {
  it('adds the standard path to a bare base URL and always sets debug', () => {
    expect(goroutineUrl('http://10.0.1.5:6060', 1).href).toBe('http://10.0.1.5:6060/debug/pprof/goroutine?debug=1');
    expect(goroutineUrl('http://10.0.1.5:6060/', 2).href).toBe('http://10.0.1.5:6060/debug/pprof/goroutine?debug=2');
    expect(goroutineUrl('http://h:6060/debug/pprof', 1).pathname).toBe('/debug/pprof/goroutine');
    expect(goroutineUrl('http://h:6060/debug/pprof/', 1).pathname).toBe('/debug/pprof/goroutine');
    expect(goroutineUrl('http://h:6060/internal/pprof/goroutine?debug=2&x=1', 1).href).toBe('http://h:6060/internal/pprof/goroutine?debug=1&x=1');
  });
});

describe('collectDumps over plain HTTP', () => {
  it('reads a healthy replica with debug=1 by default, naming it by host and address', async () => {
    const r = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('fast')] }]), limits(), { deadline: soon() }));
    expect(r.gap).toBeNull();
    expect(r.dump?.format).toBe('debug1');
    expect(r.dump?.declaredTotal).toBe(33);
    expect(r.bytes).toBe(DEBUG1.length);
    expect(r.replica).toBe(`127.0.0.1:${server.port}`);
    expect(r.address).toBe('127.0.0.1');
    expect(r.source).toBe('http');
    expect(r.capturedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(server.requests.filter((q) => q.url.includes('/goroutine?')).at(-1)?.url).toBe('/fast/debug/pprof/goroutine?debug=1');
  });

  it('asks for debug=2 only when the catalog or the caller says so', async () => {
    const two = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('fast')] }], 2), limits(), { deadline: soon() }));
    expect(two.dump?.format).toBe('debug2');
    expect(server.requests.filter((q) => q.url.includes('/goroutine?')).at(-1)?.url).toBe('/fast/debug/pprof/goroutine?debug=2');
    const zero = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('fast')] }], 2), limits(), { deadline: soon(), debug: 0 }));
    expect(zero.dump?.format).toBe('pprof');
    expect(zero.dump?.goroutines).toBe(33);
    expect(server.requests.filter((q) => q.url.includes('/goroutine?')).at(-1)?.url).toBe('/fast/debug/pprof/goroutine?debug=0');
  });

  it('names every misbehaving replica in a gap and still returns the healthy ones', async () => {
    const refused = await closedPort();
    const urls = [
      at('fast'),
      at('slow'),
      at('hung'),
      at('garbage'),
      at('missing'),
      at('empty'),
      at('redirect'),
      `http://127.0.0.1:${refused}/debug/pprof/goroutine`,
    ];
    const started = Date.now();
    const result = await collectDumps(serviceWith([{ type: 'http', urls }]), limits({ timeoutSeconds: 1 }), { deadline: soon() });
    expect(Date.now() - started).toBeLessThan(2500);
    const routeOf = (r: ReplicaDump): string => {
      const url = new URL(r.location);
      return url.port === String(server.port) ? url.pathname.split('/')[1]! : url.port;
    };
    const byPath = new Map(result.replicas.map((r) => [routeOf(r), r]));
    expect(byPath.get('fast')?.gap).toBeNull();
    expect(byPath.get('slow')?.gap).toBeNull();
    expect(byPath.get('slow')?.elapsedMs).toBeGreaterThanOrEqual(190);
    expect(byPath.get('hung')?.gap?.reason).toBe('timed out after 1 s waiting for a response');
    expect(byPath.get('hung')?.dump).toBeNull();
    // Described, never quoted: a page in place of a dump may carry anything.
    expect(byPath.get('garbage')?.gap?.reason).toMatch(/^not a goroutine dump: the target answered \d+ bytes of an HTML page \(no goroutines found: not a Go goroutine dump\)$/);
    expect(byPath.get('garbage')?.gap?.reason).not.toMatch(/nginx/);
    expect(byPath.get('missing')?.gap?.reason).toBe(
      'HTTP 404 at /missing/debug/pprof/goroutine: no pprof handler there (import _ "net/http/pprof", or fix the path in the catalog)',
    );
    expect(byPath.get('empty')?.gap?.reason).toBe('empty response: not a goroutine dump');
    expect(byPath.get('redirect')?.gap?.reason).toBe(
      'HTTP 302 redirect to http://169.254.169.254/latest/meta-data/; not followed (dump targets come only from the catalog)',
    );
    expect(server.requests.some((q) => q.url.includes('meta-data'))).toBe(false);
    expect(byPath.get(String(refused))?.gap?.reason).toBe('connection refused');
    // Every replica gap is also in the flat list, with the URL as its target.
    expect(result.gaps).toHaveLength(6);
    expect(result.gaps.map((g) => g.source)).toEqual(Array(6).fill('http'));
    expect(result.gaps.find((g) => g.target.includes('/hung/'))?.target).toBe(`${server.url}/hung/debug/pprof/goroutine?debug=1`);
  });

  it('cuts an endless 500 MB body at the byte cap and keeps the partial dump', async () => {
    const before = server.endless.sent;
    const r = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('endless')] }]), limits({ maxBytes: 1 << 20, timeoutSeconds: 5 }), { deadline: soon() }));
    expect(r.gap?.reason).toBe('body exceeded 1 MiB; read the first 1 MiB');
    expect(r.bytes).toBe(1 << 20);
    expect(r.dump?.format).toBe('debug2');
    expect(r.dump?.truncated).toBe(true);
    expect(r.dump?.goroutines).toBeGreaterThan(300);
    // The connection was dropped at the cap, not drained.
    await expect.poll(() => server.endless.closed).toBe(true);
    expect(server.endless.sent - before).toBeLessThan(32 << 20);
  });

  it('cuts a trickling body at the per-target timeout and keeps what arrived', async () => {
    const r = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('trickle')] }]), limits({ timeoutSeconds: 0.3 }), { deadline: soon() }));
    expect(r.gap?.reason).toMatch(/^timed out after 0\.3 s while reading the body; kept the first \d+(\.\d)? (bytes|KiB)$/);
    expect(r.dump?.format).toBe('debug2');
    expect(r.dump?.goroutines).toBeGreaterThan(0);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(r.elapsedMs).toBeLessThan(2000);
  });

  it('sends URL credentials as Basic auth and never reports them', async () => {
    const url = at('secret').replace('http://', 'http://pprof:s3cret@');
    const r = only(await collectDumps(serviceWith([{ type: 'http', urls: [url] }]), limits(), { deadline: soon() }));
    expect(r.gap).toBeNull();
    expect(r.location).not.toContain('s3cret');
    const wrong = only(await collectDumps(serviceWith([{ type: 'http', urls: [url.replace('s3cret', 'nope')] }]), limits(), { deadline: soon() }));
    expect(wrong.gap?.reason).toBe('HTTP 401: the target refused access to /secret/debug/pprof/goroutine (unauthorized)');
    expect(JSON.stringify(wrong)).not.toContain('nope');
  });

  it('never runs more than `concurrency` reads at once, and reports progress', async () => {
    server.hold.max = 0;
    const urls = Array.from({ length: 7 }, (_, i) => at('hold', `/${i}/debug/pprof/goroutine`));
    const progress: Array<[number, number]> = [];
    const result = await collectDumps(serviceWith([{ type: 'http', urls }]), limits({ concurrency: 3 }), {
      deadline: soon(),
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result.gaps).toEqual([]);
    expect(result.replicas.map((r) => r.dump?.declaredTotal)).toEqual(Array(7).fill(33));
    expect(server.hold.max).toBeLessThanOrEqual(3);
    expect(server.hold.max).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toEqual([7, 7]);
    expect(progress.filter(([, total]) => total === 7).map(([done]) => done)).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 6, 7]));
  });

  it('returns by the overall deadline with hung replicas, keeping what it has', async () => {
    const urls = [at('fast'), ...Array.from({ length: 5 }, (_, i) => at('hung', `/${i}/debug/pprof/goroutine`)), at('trickle')];
    const deadline = Date.now() + 600;
    const result = await collectDumps(serviceWith([{ type: 'http', urls }]), limits({ concurrency: 3, timeoutSeconds: 30 }), { deadline });
    const late = Date.now() - deadline;
    // By the deadline (30 s per-target timeouts never ran out), with room for a loaded machine's timers.
    expect(late).toBeLessThan(400);
    expect(late).toBeGreaterThan(-150);
    const reasons = result.replicas.map((r) => r.gap?.reason ?? null);
    expect(reasons[0]).toBeNull();
    expect(result.replicas[0]?.dump?.declaredTotal).toBe(33);
    // fast finished at once, so hung/0..2 started, and hung/3, hung/4 and trickle never did.
    expect(reasons.slice(1, 4)).toEqual(Array(3).fill('overall deadline reached waiting for a response'));
    expect(reasons.slice(4)).toEqual(Array(3).fill('not started: the overall deadline (0.6 s) came first'));
    expect(result.gaps).toHaveLength(6);
  });

  it('keeps a partial dump when the deadline cuts a trickling body', async () => {
    const deadline = Date.now() + 400;
    const r = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('trickle')] }]), limits({ timeoutSeconds: 30 }), { deadline }));
    expect(Date.now() - deadline).toBeLessThan(400);
    expect(r.gap?.reason).toMatch(/^overall deadline reached while reading the body; kept the first /);
    expect(r.dump?.goroutines).toBeGreaterThan(0);
  });

  it('reports every source as a gap when the deadline has already passed', async () => {
    const result = await collectDumps(serviceWith([{ type: 'http', urls: [at('fast')] }]), limits(), { deadline: Date.now() - 1 });
    expect(result.replicas).toEqual([]);
    expect(result.gaps).toEqual([{ source: 'http', target: at('fast'), reason: 'the overall deadline had passed before any dump was read' }]);
  });

  it('uses the injected fetch and survives one that throws', async () => {
    const seen: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    const ok = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('fast')] }]), limits(), { deadline: soon(), fetch: fetchSpy }));
    expect(ok.gap).toBeNull();
    // The dump, its leak profile, and beside them the pool metrics page (default /metrics).
    expect(seen.sort()).toEqual([`${at('fast')}?debug=1`, `${at('fast').replace(/goroutine$/, 'goroutineleak')}?debug=1`, `${new URL(at('fast')).origin}/metrics`].sort());
    const broken: typeof fetch = () => {
      throw new Error('boom');
    };
    const r = only(await collectDumps(serviceWith([{ type: 'http', urls: [at('fast')] }]), limits(), { deadline: soon(), fetch: broken }));
    expect(r.gap?.reason).toBe('boom');
  });
});
