// The analyzer against the real leaking Go service (lib/demo/goservice) on the machine's PostgreSQL:
// drive each leak, capture every dump format live, and check kind, count and culprit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaks, readDump, type Finding } from '../../lib/goroutines/index.ts';
import { buildGoService, goVersion, leaks, startGoService, type GoService, type ParkedRequest } from '../../lib/demo/run-goservice.ts';
import { createScratchDb, isPostgresAvailable, type ScratchDb } from '../support/scratch-db.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const [go, pgUp] = await Promise.all([goVersion(), isPostgresAvailable()]);

const byKind = (findings: Finding[], kind: Finding['kind']) => findings.filter((f) => f.kind === kind);

describe.runIf(required || (go !== null && pgUp))('analyze dumps captured live from the leaking Go service', () => {
  let db: ScratchDb | undefined;
  let svc: GoService | undefined;
  const parked: ParkedRequest[] = [];

  beforeAll(async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing');
    if (!pgUp) throw new Error('LEAKHOUND_REQUIRE_ALL is set but PostgreSQL is not reachable on 127.0.0.1:5432');
    await buildGoService();
    db = await createScratchDb();
    // Ancestry lets debug=2 name the code that opened a leaked resource even without labels.
    svc = await startGoService({ dsn: db.dsn, maxOpen: 6, env: { GODEBUG: 'tracebackancestors=5' } });
    for (let i = 0; i < 3; i++) await leaks.transfer(svc);
    for (let i = 0; i < 2; i++) await leaks.report(svc);
    await leaks.export(svc);
    for (let i = 0; i < 2; i++) await leaks.proxy(svc);
    for (let i = 0; i < 5; i++) parked.push(leaks.parkOrders(svc, `customer-${i}`));
    await svc.waitFor('5 callers parked on the exhausted pool', async () => {
      const d = await readDump(await svc!.dump(1));
      return byKind(findLeaks(d), 'pool-exhausted').reduce((n, f) => n + f.count, 0) === 5;
    });
  });

  afterAll(async () => {
    for (const p of parked) p.abort();
    await svc?.stop();
    await db?.drop();
  });

  it('debug=1: names the labelled routes and the starving callers', async () => {
    const dump = await readDump(await svc!.dump(1));
    expect(dump.format).toBe('debug1');
    const findings = findLeaks(dump);
    expect(findings[0]).toMatchObject({ kind: 'tx-leak', count: 3, confidence: 'high', culprit: { evidence: 'labels', labels: { route: '/transfer', method: 'POST' } } });
    expect(byKind(findings, 'rows-leak')).toMatchObject([{ count: 2 }]);
    expect(byKind(findings, 'http-body-leak')).toMatchObject([{ count: 2, culprit: { labels: { route: '/proxy' } } }]);
    expect(byKind(findings, 'pool-exhausted')).toMatchObject([{ count: 5, culprit: { function: 'main.(*orderStore).recent', labels: { route: '/orders' } } }]);
  });

  it('debug=0 (gzipped protobuf): the same findings', async () => {
    const dump = await readDump(await svc!.dump(0));
    expect(dump.format).toBe('pprof');
    const findings = findLeaks(dump);
    expect(findings.map((f) => [f.kind, f.count, f.culprit.labels['route'] ?? null])).toEqual([
      ['tx-leak', 3, '/transfer'],
      ['rows-leak', 2, null],
      ['http-body-leak', 2, '/proxy'],
      ['pool-exhausted', 5, '/orders'],
    ]);
  });

  it('debug=2 with ancestry: names the functions that opened each leaked resource', async () => {
    const dump = await readDump(await svc!.dump(2));
    expect(dump.format).toBe('debug2');
    expect(dump.truncated).toBe(false);
    const findings = findLeaks(dump);
    const culprit = (kind: Finding['kind']) => byKind(findings, kind).map((f) => [f.count, f.culprit.function, f.confidence]);
    expect(culprit('tx-leak')).toEqual([[3, 'main.(*api).transfer', 'high']]);
    expect(culprit('rows-leak')).toEqual([[2, 'main.(*api).report', 'high']]);
    expect(culprit('http-body-leak')).toEqual([[2, 'main.(*api).proxyHealth', 'high']]);
    expect(byKind(findings, 'tx-leak')[0]!.culprit.file).toMatch(/handlers\.go$/);
  });

  it('SIGQUIT output: reads the traceback the process dies with', async () => {
    const text = await svc!.sigquit();
    const dump = await readDump(text);
    expect(dump.format).toBe('traceback');
    expect(dump.preamble).toMatch(/^SIGQUIT: quit/);
    const findings = findLeaks(dump);
    expect(byKind(findings, 'tx-leak').reduce((n, f) => n + f.count, 0)).toBe(3);
    expect(byKind(findings, 'pool-exhausted').reduce((n, f) => n + f.count, 0)).toBe(5);
  });
});
