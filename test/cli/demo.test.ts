// `npm run demo` is the first thing a new user runs: it must work end to end and name the leak.
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const ANSI = /\u001b\[/;

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
    // Output to a pipe: no terminal codes, and no warning noise from the AWS SDK.
    expect(r.stderr).not.toMatch(ANSI);
    expect(r.stderr).not.toMatch(/Warning|NodeVersionSupport/);
  }, 150_000);

  it('refuses bad options with one line and a non-zero exit, before starting anything', async () => {
    const bogus = await runCli(['demo', '--bogus']);
    expect(bogus).toMatchObject({ code: 2, stdout: '', stderr: "leakhound demo: Unknown option '--bogus'\n" });
    const format = await runCli(['demo', '--format', 'xml']);
    expect(format).toMatchObject({ code: 2, stdout: '', stderr: 'leakhound demo: --format must be text or json\n' });
  });
});
