// `npm run demo` is the first thing a new user runs: it must work end to end and name the leak.
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

describe('leakhound demo', () => {
  it('starts a database and a leaking service, triages an alarm, names the route, and cleans up', async () => {
    const r = await runCli(['demo', '--format', 'json'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const [report] = JSON.parse(r.stdout);
    expect(report.verdict.kind).toBe('tx-leak');
    expect(report.verdict.headline).toMatch(/route=\/transfer/);
    expect(report.capacity.full).toBe(true);
    expect(report.findings.map((f: { kind: string }) => f.kind)).toEqual(expect.arrayContaining(['tx-leak', 'rows-leak', 'idle-connections', 'http-body-leak', 'pool-exhausted']));
    expect(r.stderr).toMatch(/cleaning up/);
    expect(r.stdout).not.toMatch(/postgres:\/\/[^"]*:[^"]*@/); // no connection string with a password
  }, 150_000);
});
