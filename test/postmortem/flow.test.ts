// The postmortem of a whole local incident, through the production code on the local transports
// (`leakhound dev` with the demo environment: embedded PostgreSQL and the real leaking Go
// service): alarm → triage → Restart → approval by a second person → evidence → restart →
// verification → alarm back to OK → "Draft postmortem" on the resolved message → the draft
// posted as a file in the thread and saved with the evidence. Then `leakhound postmortem` on the
// same store and evidence. The draft is checked for its sections, the people and steps of the
// timeline, the culprit, the follow-ups, and for what must never be in it.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goVersion } from '../../lib/demo/run-goservice.ts';
import { startConsole, type ConsoleSession } from '../support/console-session.ts';
import { runCli } from '../support/cli.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const go = await goVersion();

function expectDraft(md: string, incident: string): void {
  for (const section of ['## Summary', '## Timeline', '## Impact', '## Root cause', '## Remediation taken', '## Follow-ups', '## Evidence']) expect(md).toContain(section);
  expect(md).toMatch(/^# Postmortem draft: billing-api — Transaction leak \(\d{4}-\d\d-\d\d\)\n/);
  expect(md).toContain(`incident \`${incident}\``);
  // The timeline: who did what, in order.
  const timeline = md.slice(md.indexOf('## Timeline'), md.indexOf('## Impact'));
  const order = [/\| alarm \| db-connections-high fired for billing-api \|/, /\| Leakhound \| posted the triage: Transaction leak in route=\/transfer/, /\| @U0DEMO1 \| requested a restart/, /\| @U0DEMO1 \| tried to approve the restart[^|]*: refused: self-approval/, /\| @U0DEMO2 \| approved the restart/, /\| Leakhound \| saved the evidence/, /\| Leakhound \| completed the restart/, /\| Leakhound \| verification: pass[^|]*: connections: \d+ → \d+/, /\| alarm \| back to OK: incident resolved \|/];
  let at = 0;
  for (const step of order) {
    const m = step.exec(timeline.slice(at));
    expect(m, `timeline step ${step}`).not.toBeNull();
    at += m!.index + m![0].length;
  }
  expect(md).toMatch(/- Culprit: `[^`]+`/);
  // The statements' sqlcommenter comments name the route even where the debug=2 evidence has no labels.
  expect(md).toMatch(/route='\/transfer'/);
  expect(md).toMatch(/- Signature: Transaction leak: goroutines parked in `database\/sql\.\(\*Tx\)\.awaitDone`/);
  expect(md).toMatch(/- Peak connections seen: \d+ of \d+ available/);
  expect(md).toMatch(/fingerprints, literals removed/);
  // Follow-ups for this signature.
  expect(md).toMatch(/defer tx\.Rollback\(\)/);
  expect(md).toContain('idle_in_transaction_session_timeout');
  expect(md).toContain('transaction_timeout');
  expect(md).toContain('goleak');
  expect(md).toContain('report.json');
  // Never: the database password or a connection string with it, a token, a literal of the leaked statements.
  expect(md).not.toMatch(/postgres:\/\/[^\s:@]+:[^@\s]+@/);
  expect(md).not.toMatch(/xox[bpa]-/);
  expect(md).not.toMatch(/amount\s*=\s*5000|\b5000\b/);
}

describe.runIf(required || go !== null)('postmortem of a full local incident (npm run dev, demo environment)', () => {
  let session: ConsoleSession | undefined;
  afterAll(() => session?.kill());

  it('alarm → triage → restart approved → verified → resolved → Draft postmortem → the file in the thread, and the CLI', async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing');
    const cwd = mkdtempSync(join(tmpdir(), 'lh-postmortem-'));
    const evidence = join(cwd, 'evidence');
    const storeFile = join(cwd, 'store.json');
    session = startConsole(['dev', '--verify-after', '2s', '--evidence', evidence, '--store', storeFile], { cwd });
    const s = session;
    let incident = '';
    try {
      await s.waitFor(/Type first:\n {2}alarm billing-api/, 120_000);
      s.type('alarm billing-api');
      incident = (await s.waitFor(/incident opened (\S+); triage queued/))[1]!;
      await s.waitFor(/message \S+ updated[^\n]*\n== \S+ billing-api: Transaction leak in route=\/transfer/);
      s.type(`click restart ${incident}`);
      const approval = (await s.waitFor(/Restart requested by @U0DEMO1[\s\S]*?\[ Approve[^\n]*\(id (\S+)\)/))[1]!;
      s.type(`click approve ${approval}`);
      await s.waitFor(/cannot approve it too \(two-person rule\)/);
      s.type('as U0DEMO2');
      await s.waitFor(/\(you are U0DEMO2 now\)/);
      s.type(`click approve ${approval}`);
      await s.waitFor(/Restart done: command \S+ succeeded\. Evidence saved first/, 120_000);
      await s.waitFor(/Recovered after the restart: connections: \d+ → \d+/, 60_000);

      // The alarm goes back to OK: the top message says resolved and offers the draft.
      s.type('alarm billing-api ok');
      await s.waitFor(/billing-api: resolved[\s\S]*?\[ Draft postmortem/, 30_000);
      s.type(`click postmortem ${incident}`);
      await s.waitFor(/file billing-api-POSTMORTEM\.md \(\d+ kB\): Postmortem draft: billing-api/, 30_000);
      const saved = (await s.waitFor(/Postmortem draft for @U0DEMO2 attached, saved with the evidence as `([^`]+)`/, 30_000))[1]!;
      expect(saved).toBe(join(evidence, incident, 'POSTMORTEM.md'));
      // The slash command reaches the same job (the service's latest incident).
      s.type('/leak postmortem billing-api');
      await s.waitFor(/Drafting the postmortem of `billing-api`/, 30_000);
      await s.waitFor(/file billing-api-POSTMORTEM\.md/, 30_000);
      s.type('quit');
      expect(await s.exited(30_000)).toBe(0);
    } finally {
      if (process.env.LEAKHOUND_TRANSCRIPT) writeFileSync(process.env.LEAKHOUND_TRANSCRIPT, s.transcript());
    }

    const md = readFileSync(join(evidence, incident, 'POSTMORTEM.md'), 'utf8');
    expectDraft(md, incident);
    expect(md).toMatch(/\| @U0DEMO2 \| asked for this postmortem draft/);

    // The CLI, on the store and evidence the session left.
    const out = join(cwd, 'out.md');
    const cli = await runCli(['postmortem', incident, '--store', storeFile, '--evidence', evidence, '--out', out]);
    expect(cli.stderr).toContain(`wrote ${out}`);
    expect(cli.code).toBe(0);
    expectDraft(readFileSync(out, 'utf8'), incident);
    const byService = await runCli(['postmortem', 'billing-api', '--store', storeFile, '--evidence', evidence]);
    expect(byService.code).toBe(0);
    expect(byService.stdout).toContain(`incident \`${incident}\``);
    const missing = await runCli(['postmortem', 'no-such-thing', '--store', storeFile, '--evidence', evidence]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no incident "no-such-thing"/);

    if (process.env.LEAKHOUND_SAMPLES) {
      mkdirSync(process.env.LEAKHOUND_SAMPLES, { recursive: true });
      copyFileSync(out, join(process.env.LEAKHOUND_SAMPLES, 'POSTMORTEM.md'));
      if (existsSync(join(evidence, incident, 'report.json'))) writeFileSync(join(process.env.LEAKHOUND_SAMPLES, 'postmortem-transcript.txt'), session.transcript());
    }
  }, 300_000);
});
