// `npm run dev` as a new user types it, in a directory with no catalog: the demo environment
// (embedded PostgreSQL 18 and the real leaking Go service) and one whole incident through the
// production code on the local transports: alarm → triage in the thread → Restart → the
// requester's own approval refused (two-person rule) → a second approver → evidence saved →
// restart → verification with connections and idle-in-transaction before and after.
//
// LEAKHOUND_TRANSCRIPT=<file> keeps the console transcript of the run.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goVersion } from '../../lib/demo/run-goservice.ts';
import { startConsole, type ConsoleSession } from '../support/console-session.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const go = await goVersion();

describe.runIf(required || go !== null)('npm run dev, no arguments: one incident from alarm to verification', () => {
  let session: ConsoleSession | undefined;
  afterAll(() => session?.kill());

  it('alarm, triage, restart approved by a second person, evidence, verification', async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing');
    const cwd = mkdtempSync(join(tmpdir(), 'lh-dev-flow-')); // no leakhound.yml here
    const evidence = join(cwd, 'evidence');
    const started = Date.now();
    session = startConsole(['dev', '--verify-after', '2s', '--evidence', evidence], { cwd });
    const s = session;
    let incident = '';
    try {
      await s.waitFor(/starting the demo environment/);
      await s.waitFor(/You are U0DEMO1, one of billing-api's two approvers \(U0DEMO1, U0DEMO2\)\. Type first:\n {2}alarm billing-api/, 120_000);

      s.type('alarm billing-api');
      incident = (await s.waitFor(/incident opened (\S+); triage queued/))[1]!;
      // The top message ends with the verdict and its buttons; the details go in its thread.
      await s.waitFor(/message \S+ updated[^\n]*\n== \S+ billing-api: Transaction leak in route=\/transfer method=POST[\s\S]*?\[ Restart billing-api/);
      await s.waitFor(/reply in thread[^\n]*\nDetails of the triage of `billing-api`/);

      s.type(`click restart ${incident}`);
      const approval = (await s.waitFor(/Restart requested by @U0DEMO1[\s\S]*?\[ Approve[^\n]*\(id (\S+)\)/))[1]!;
      s.type(`click approve ${approval}`);
      // Told to the clicker, and noted in the thread.
      await s.waitFor(/only visible to U0DEMO1[^\n]*\n⛔ @U0DEMO1 requested it and cannot approve it too \(two-person rule\)/);
      await s.waitFor(/reply in thread[^\n]*\n⛔ @U0DEMO1 requested it and cannot approve it too \(two-person rule\)/);

      s.type('as U0DEMO2');
      await s.waitFor(/\(you are U0DEMO2 now\)/);
      s.type(`click approve ${approval}`);
      await s.waitFor(/✅ Approved by @U0DEMO2 at [^\n]*; queued/);
      await s.waitFor(/@U0DEMO2 approved the restart of `billing-api`/);
      const note = (await s.waitFor(/Restart done: command \S+restart-billing-api succeeded\. Evidence saved first, in `([^`]+)`: ([^\n]+)\. Verification in 2 s\./, 120_000));
      expect(note[1]).toBe(join(evidence, incident));
      expect(note[2]).toBe('report.json, sessions.json, dumps.json, evidence.html');
      // The evidence page, named in the same note: a file on this machine.
      await s.waitFor(new RegExp(`Evidence page: \`${join(evidence, incident, 'evidence.html').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``));
      const verified = await s.waitFor(/Recovered after the restart: connections: (\d+) → (\d+) \(↓\d+\); idle in transaction: 3 → 0 \(↓3\)/, 60_000);
      expect(Number(verified[1])).toBeGreaterThanOrEqual(6);
      expect(Number(verified[2])).toBeLessThan(Number(verified[1]));

      s.type('quit');
      expect(await s.exited(30_000)).toBe(0);
      // The restart script killed the service; its supervisor (the demo environment) started a fresh one.
      expect(s.transcript()).toMatch(/billing-api \(pid \d+\) exited; the supervisor started it again \(pid \d+\)/);
    } finally {
      if (process.env.LEAKHOUND_TRANSCRIPT) writeFileSync(process.env.LEAKHOUND_TRANSCRIPT, s.transcript());
    }
    console.log(`local incident, alarm to verification: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // The evidence is on disk, taken before the restart: the Report, the sessions, the dumps with wait ages.
    const dir = join(evidence, incident);
    expect(readdirSync(dir).sort()).toEqual(['dumps.json', 'evidence.html', 'report.json', 'sessions.json']);
    // The page: the verdict, the stacks, and (re-written after the last check) the readings after.
    const page = readFileSync(join(dir, 'evidence.html'), 'utf8');
    expect(page).toMatch(/<div class="headline">Transaction leak in /);
    expect(page).toMatch(/restart\.approved/);
    expect(page).toMatch(/\d+ min after the restart/);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { verdict: { kind: string }; reading: { idleInTransaction: number } };
    expect(report.verdict.kind).toBe('tx-leak');
    expect(report.reading.idleInTransaction).toBe(3);
    const dumps = JSON.parse(readFileSync(join(dir, 'dumps.json'), 'utf8')) as Array<{ dump: { format: string } | null }>;
    expect(dumps[0]!.dump?.format).toBe('debug2');
    // Nothing that was typed or printed carries the database password.
    expect(session.transcript()).not.toMatch(/postgres:\/\/postgres:[^@\s]+@/);
  }, 240_000);
});
