// Integration: the real Go fixture service (lib/demo/goservice) against a scratch PostgreSQL
// database. Drives every leak and checks both sides: pg_stat_activity sessions and the
// service's own goroutine dumps. With LEAKHOUND_REQUIRE_ALL set (CI), a missing Go toolchain or
// PostgreSQL fails the suite instead of skipping it.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDb, isPostgresAvailable, type ScratchDb } from './support/scratch-db.ts';
import {
  buildGoService,
  countInDebug1,
  goVersion,
  leaks,
  startGoService,
  type GoService,
  type ParkedRequest,
} from '../lib/demo/run-goservice.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const [go, pgUp] = await Promise.all([goVersion(), isPostgresAvailable()]);
const available = go !== null && pgUp;

describe.runIf(required || available)('Go fixture service (billing-api) on PostgreSQL', () => {
  const MAX_OPEN = 8;
  let db: ScratchDb | undefined;
  let svc: GoService | undefined;
  const parked: ParkedRequest[] = [];

  beforeAll(async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing (`go version` failed)');
    if (!pgUp) throw new Error('LEAKHOUND_REQUIRE_ALL is set but PostgreSQL is not reachable on 127.0.0.1:5432');
    await buildGoService();
    db = await createScratchDb();
    svc = await startGoService({ dsn: db.dsn, maxOpen: MAX_OPEN });
  });

  afterAll(async () => {
    for (const p of parked) p.abort();
    await svc?.stop();
    await db?.drop();
  });

  const service = (): GoService => {
    if (!svc) throw new Error('service not started');
    return svc;
  };
  const scratch = (): ScratchDb => {
    if (!db) throw new Error('database not created');
    return db;
  };
  const debug1 = async () => (await service().dump(1)).toString('utf8');

  it('answers /healthz and exposes pprof', async () => {
    expect(await service().text('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    const text = await debug1();
    expect(text).toMatch(/^goroutine profile: total \d+\n/);
    expect(text).toContain('database/sql.(*DB).connectionOpener');
  });

  it('well-behaved calls return their connection', async () => {
    const s = service();
    const res = await s.text('/orders?customer=customer-1');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toHaveLength(5);
    const ok = await s.text('/transfer?from=4&to=5&amount=5', { method: 'POST' });
    expect(ok).toEqual({ status: 200, body: 'moved 5 from 4 to 5\n' });
    expect((await s.stats()).inUse).toBe(0);
  });

  it('transaction leak: idle in transaction sessions and labelled (*Tx).awaitDone goroutines', async () => {
    const s = service();
    await leaks.transfer(s, 1);
    await leaks.transfer(s, 2);
    const sessions = await s.waitFor('2 idle-in-transaction sessions', async () => {
      const all = await scratch().sessions({ applicationName: 'billing-api' });
      const idleTx = all.filter((x) => x.state === 'idle in transaction');
      return idleTx.length === 2 ? idleTx : null;
    });
    for (const x of sessions) {
      // The statement carries its route in a sqlcommenter comment.
      expect(x.query).toBe("SELECT balance FROM accounts WHERE id = $1 AND status = 'active' /*action='transfer',route='%2Ftransfer'*/");
      expect(x.xactStart).toBeInstanceOf(Date);
      expect(x.waitEvent).toBe('ClientRead');
    }

    const text = await debug1();
    expect(countInDebug1(text, 'database/sql.(*Tx).awaitDone')).toBe(2);
    expect(text).toMatch(
      /^2 @ [0-9a-fx ]+\n# labels: \{"method":"POST", "route":"\/transfer"\}\n#\t0x[0-9a-f]+\tdatabase\/sql\.\(\*Tx\)\.awaitDone\+0x[0-9a-f]+\t+database\/sql\/sql\.go:\d+\n/m,
    );
    // lib/pq watches the transaction's context too, under the same labels.
    expect(text).toMatch(/^2 @ .*\n# labels: \{"method":"POST", "route":"\/transfer"\}\n#\t\S+\tgithub\.com\/lib\/pq\.\(\*conn\)\.watchCancel\.func1/m);
    expect((await s.stats()).inUse).toBe(2);
  });

  it('rows leaks: (*Rows).awaitDone without labels, and a context-less leak with no goroutine', async () => {
    const s = service();
    await leaks.report(s);
    await leaks.report(s);
    await leaks.export(s);
    const idle = await s.waitFor('3 leaked idle sessions', async () => {
      const all = await scratch().sessions({ applicationName: 'billing-api' });
      const held = all.filter((x) => x.state === 'idle' && /FROM orders WHERE status/.test(x.query));
      return held.length === 3 ? held : null;
    });
    expect(idle.filter((x) => x.query.includes("status = 'open'"))).toHaveLength(2); // /report
    expect(idle.filter((x) => x.query.includes("status <> 'cancelled'"))).toHaveLength(1); // /export

    const text = await debug1();
    expect(countInDebug1(text, 'database/sql.(*Rows).awaitDone')).toBe(2);
    expect(text).toMatch(/^2 @ [0-9a-fx ]+\n#\t0x[0-9a-f]+\tdatabase\/sql\.\(\*Rows\)\.awaitDone\+/m); // no "# labels" line
    const stats = await s.stats();
    expect(stats.inUse).toBe(5); // 2 tx + 2 report + 1 export, though only 4 awaitDone goroutines
  });

  it('response-body leak: labelled persistConn read and write loops', async () => {
    const s = service();
    await leaks.proxy(s);
    await leaks.proxy(s);
    const readLoops = /^2 @ .*\n# labels: \{"method":"GET", "route":"\/proxy"\}\n#\t\S+\tnet\/http\.\(\*persistConn\)\.readLoop\+/m;
    const writeLoops = /^2 @ .*\n# labels: \{"method":"GET", "route":"\/proxy"\}\n#\t\S+\tnet\/http\.\(\*persistConn\)\.writeLoop\+/m;
    // A writeLoop can still be flushing the request when the handler returns (seen in CI): wait
    // until both have parked in their select, as a leaked body's loops do for good.
    const text = await s.waitFor('both leaked connections parked', async () => {
      const t = await debug1();
      return readLoops.test(t) && writeLoops.test(t) ? t : null;
    });
    expect(text).toMatch(readLoops);
    expect(text).toMatch(writeLoops);
  });

  it('pool exhaustion: victims park in (*DB).conn under (*orderStore).recent', async () => {
    const s = service();
    for (const from of [3, 4, 5]) await leaks.transfer(s, from);
    expect((await s.stats()).inUse).toBe(MAX_OPEN);
    for (let i = 0; i < 3; i++) parked.push(leaks.parkOrders(s));
    const text = await s.waitFor('3 goroutines in (*DB).conn', async () => {
      const t = await debug1();
      return countInDebug1(t, 'database/sql.(*DB).conn+') === 3 ? t : null;
    });
    const block = text.split('\n\n').find((b) => b.includes('database/sql.(*DB).conn+'));
    expect(block).toBeDefined();
    expect(block).toContain('# labels: {"method":"GET", "route":"/orders"}');
    expect(block).toMatch(/main\.\(\*orderStore\)\.recent\+0x[0-9a-f]+\t+github\.com\/acme\/billing-api\/store\.go:\d+/);
    expect(block).toMatch(/main\.\(\*api\)\.listOrders\+0x[0-9a-f]+\t+github\.com\/acme\/billing-api\/handlers\.go:\d+/);

    const all = await scratch().sessions({ applicationName: 'billing-api' });
    expect(all).toHaveLength(MAX_OPEN);
    expect(all.filter((x) => x.state === 'idle in transaction')).toHaveLength(5);
    expect(all.filter((x) => x.state === 'active')).toHaveLength(0);
    const stats = await s.stats();
    expect(stats.waitCount).toBeGreaterThanOrEqual(3);
  });

  it('serves debug=2 and debug=0 dumps of the same state', async () => {
    const s = service();
    const d2 = (await s.dump(2)).toString('utf8');
    expect(d2).toMatch(/^goroutine \d+ \[running\]:\n/);
    expect(d2.match(/^database\/sql\.\(\*Tx\)\.awaitDone\(/gm)).toHaveLength(5);
    expect(d2.match(/^database\/sql\.\(\*DB\)\.conn\(/gm)).toHaveLength(3);
    expect(d2).toMatch(/^created by database\/sql\.\(\*DB\)\.beginDC\n\tdatabase\/sql\/sql\.go:\d+ \+0x[0-9a-f]+$/m);
    const d0 = await s.dump(0);
    expect([d0[0], d0[1]]).toEqual([0x1f, 0x8b]);
    const proto = gunzipSync(d0);
    expect(proto.includes(Buffer.from('database/sql.(*Tx).awaitDone'))).toBe(true);
    expect(proto.includes(Buffer.from('/transfer'))).toBe(true);
  });

  it('SIGQUIT prints every goroutine and exits; the database sessions then go away', async () => {
    const s = service();
    const out = await s.sigquit();
    expect(out).toMatch(/^SIGQUIT: quit\n/);
    expect(out.match(/^database\/sql\.\(\*Tx\)\.awaitDone\(/gm)).toHaveLength(5);
    expect(out.match(/^database\/sql\.\(\*Rows\)\.awaitDone\(/gm)).toHaveLength(2);
    expect(out.match(/^database\/sql\.\(\*DB\)\.conn\(/gm)).toHaveLength(3);
    expect((await s.exited).code).toBe(2);
    for (const p of parked) expect(await p.done).toBeInstanceOf(Error); // connection reset
    await s.waitFor('sessions to close', async () => (await scratch().sessions()).length === 0, 10_000);
  });
});

if (!required && !available) {
  describe('Go fixture service', () => {
    it.skip(`needs ${[go ? '' : 'the Go toolchain', pgUp ? '' : 'PostgreSQL on 127.0.0.1:5432'].filter(Boolean).join(' and ')}`, () => undefined);
  });
}
