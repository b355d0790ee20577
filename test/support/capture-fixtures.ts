// Re-captures test/fixtures/dumps/go119-* live from the Go fixture service.
//
//   node bin/run-ts.mjs test/support/capture-fixtures.ts [--out DIR] [--age-seconds 65]
//
// Needs Go 1.19 (the fixture names say so; the script refuses another version unless --any-go)
// and PostgreSQL on 127.0.0.1:5432. Takes about --age-seconds + 10 s. The scenario, identical for
// both service runs, is described in test/fixtures/dumps/README.md, which states the expected
// findings; the script checks the counts before writing anything.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createScratchDb, type ScratchDb } from './scratch-db.ts';
import { countInDebug1, goVersion, leaks, REPO_ROOT, startGoService, type GoService, type ParkedRequest } from '../../lib/demo/run-goservice.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(REPO_ROOT, 'test', 'fixtures', 'dumps') },
    'age-seconds': { type: 'string', default: '65' },
    'any-go': { type: 'boolean', default: false },
  },
});
const outDir = resolve(values.out);
const ageSeconds = Number(values['age-seconds']);
if (!Number.isFinite(ageSeconds) || ageSeconds < 0) throw new Error('--age-seconds must be a number >= 0');

const POOL = 6; // 3 tx + 2 report rows + 1 export rows = every connection
const WAITERS = 5;

const version = await goVersion();
if (!version) throw new Error('go not found');
if (!/\bgo1\.19(\.|\s)/.test(version) && !values['any-go']) {
  throw new Error(`fixtures are named go119-*; this is ${version} (pass --any-go to capture anyway)`);
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`capture check failed: ${what}`);
}

/** Drives the fixture scenario; returns the parked /orders requests (abort them when done). */
async function drive(svc: GoService, db: ScratchDb, opts: { ageSeconds: number }): Promise<ParkedRequest[]> {
  for (const from of [1, 2, 3]) await leaks.transfer(svc, from); // 3 tx leaks, labelled /transfer
  await leaks.report(svc); // 2 rows leaks with awaitDone, unlabelled
  await leaks.report(svc);
  await leaks.export(svc); // 1 rows leak under context.Background: no goroutine
  await leaks.proxy(svc); // 2 response-body leaks, labelled /proxy
  await leaks.proxy(svc);

  if (opts.ageSeconds > 0) {
    // A dump prints "N minutes" only for goroutines a GC has already seen blocked, and the
    // runtime stamps them with the start time of the *previous* cycle (zero before the first):
    // two collections now date the leaks to about now. The waiters come after both, so they
    // show no age.
    await svc.text('/debug/gc');
    await svc.text('/debug/gc');
    process.stderr.write(`waiting ${opts.ageSeconds}s so the leaked goroutines show a wait age…\n`);
    await new Promise((r) => setTimeout(r, opts.ageSeconds * 1000));
  }

  const stats = await svc.stats();
  check(stats.inUse === POOL, `pool exhausted (inUse ${stats.inUse}/${POOL})`);
  const parked: ParkedRequest[] = [];
  for (let i = 1; i <= WAITERS; i++) parked.push(leaks.parkOrders(svc, `customer-${i}`));
  await svc.waitFor(`${WAITERS} waiters in (*DB).conn`, async () => {
    const t = (await svc.dump(1)).toString();
    return countInDebug1(t, 'database/sql.(*DB).conn+') === WAITERS;
  });

  const sessions = await db.sessions({ applicationName: 'billing-api' });
  const states = sessions.map((s) => s.state).sort();
  check(
    JSON.stringify(states) === JSON.stringify(['idle', 'idle', 'idle', 'idle in transaction', 'idle in transaction', 'idle in transaction']),
    `pg_stat_activity states ${JSON.stringify(states)}`,
  );
  return parked;
}

function checkDebug1(text: string): void {
  const want: Array<[string, number]> = [
    ['database/sql.(*Tx).awaitDone', 3],
    ['database/sql.(*Rows).awaitDone', 2],
    ['database/sql.(*DB).conn+', WAITERS],
    ['net/http.(*persistConn).readLoop', 2],
    ['net/http.(*persistConn).writeLoop', 2],
    ['github.com/lib/pq.(*conn).watchCancel.func1', 5],
  ];
  for (const [needle, n] of want) check(countInDebug1(text, needle) === n, `${needle} x${n} (got ${countInDebug1(text, needle)})`);
}

function countLines(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0;
}

await mkdir(outDir, { recursive: true });
const files: Record<string, Buffer | string> = {};

// Run 1: plain service (GOTRACEBACK=all): debug=1, debug=2, debug=0, then SIGQUIT.
{
  const db = await createScratchDb();
  const svc = await startGoService({ dsn: db.dsn, maxOpen: POOL });
  let parked: ParkedRequest[] = [];
  try {
    parked = await drive(svc, db, { ageSeconds });
    const d1 = await svc.dump(1);
    checkDebug1(d1.toString());
    const d2 = await svc.dump(2);
    const d0 = await svc.dump(0);
    const quit = await svc.sigquit();
    check(quit.startsWith('SIGQUIT: quit'), 'SIGQUIT output header');
    check(countLines(quit, /^database\/sql\.\(\*Tx\)\.awaitDone\(/gm) === 3, 'SIGQUIT: 3 Tx.awaitDone');
    check(countLines(d2.toString(), /^database\/sql\.\(\*Tx\)\.awaitDone\(/gm) === 3, 'debug=2: 3 Tx.awaitDone');
    if (ageSeconds >= 60) check(/^goroutine \d+ \[chan receive, 1 minutes\]:\ndatabase\/sql\.\(\*Tx\)\.awaitDone/m.test(d2.toString()), 'debug=2 wait ages');
    files['go119-debug1.txt'] = d1;
    files['go119-debug2.txt'] = d2;
    files['go119-debug0.pb.gz'] = d0;
    files['go119-sigquit.txt'] = quit;
  } finally {
    for (const p of parked) p.abort();
    await svc.stop();
    await db.drop();
  }
}

// Run 2: GODEBUG=tracebackancestors=5, debug=2 only (shows who started each goroutine).
{
  const db = await createScratchDb();
  const svc = await startGoService({ dsn: db.dsn, maxOpen: POOL, env: { GODEBUG: 'tracebackancestors=5' } });
  let parked: ParkedRequest[] = [];
  try {
    parked = await drive(svc, db, { ageSeconds: 0 });
    checkDebug1((await svc.dump(1)).toString());
    const d2 = (await svc.dump(2)).toString();
    check(
      /^database\/sql\.\(\*Tx\)\.awaitDone\(.*\n.*\ncreated by database\/sql\.\(\*DB\)\.beginDC\n.*\n\[originating from goroutine \d+\]:\n(?:.*\n)*?main\.\(\*api\)\.transfer\(\.\.\.\)/m.test(d2),
      'ancestors: Tx.awaitDone originates from main.(*api).transfer',
    );
    files['go119-ancestors-debug2.txt'] = d2;
  } finally {
    for (const p of parked) p.abort();
    await svc.stop();
    await db.drop();
  }
}

for (const [name, data] of Object.entries(files)) {
  const size = Buffer.byteLength(data);
  check(size < 200 * 1024, `${name} is ${size} bytes (limit 200 KB)`);
  await writeFile(join(outDir, name), data);
  console.log(`${name.padEnd(28)} ${String(size).padStart(7)} bytes`);
}
console.log(`captured with ${version} into ${outDir}`);
