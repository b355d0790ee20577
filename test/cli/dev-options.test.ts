// `leakhound dev` finds its catalog as a user expects (./leakhound.yml with no arguments) and
// refuses bad options with one line before starting anything.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startConsole } from '../support/console-session.ts';
import { runCli } from '../support/cli.ts';

const CATALOG = `
defaults: { slackChannel: "#leakhound", deadlineSeconds: 2 }
services:
  - name: checkout
    database: { engine: postgres, url: { env: CHECKOUT_DATABASE_URL } }
    dumps: { sources: [ { http: { urls: ["http://127.0.0.1:1/debug/pprof/goroutine"] } } ] }
`;

it('with no arguments, uses ./leakhound.yml when there is one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lh-dev-cwd-'));
  try {
    await writeFile(join(dir, 'leakhound.yml'), CATALOG);
    const s = startConsole(['dev'], { cwd: dir, env: { CHECKOUT_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    await s.waitFor(new RegExp(`catalog ${join(dir, 'leakhound.yml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    await s.waitFor(/Services: checkout\. Type "help"\.\nYou are ULOCALDEV1\. Evidence goes to \S+leakhound-evidence; verification runs 120 s after a restart/);
    s.type('/leak status');
    await s.waitFor(/only visible to ULOCALDEV1/);
    expect(await s.end()).toBe(0);
    expect(s.transcript()).not.toMatch(/demo environment/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);

it('refuses bad options with one line and exit 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lh-dev-bad-'));
  await writeFile(join(dir, 'store.json'), '{ "incidents": [');
  const cases: Array<[string[], string]> = [
    [['dev', '--bogus'], "leakhound dev: Unknown option '--bogus'"],
    [['dev', '--verify-after', 'soon'], 'leakhound dev: --verify-after must be a duration like 30s, 5m or 1h (got "soon")'],
    [['dev', '--verify-after', '10ms'], 'leakhound dev: --verify-after must be at least 1s'],
    [['dev', '--user', 'bob'], 'leakhound dev: --user must be a Slack user id such as U0DEMO2'],
    [['dev', '--demo', '--config', 'x.yml'], 'leakhound dev: --demo and --config exclude each other'],
    [['dev', '--config', '/nonexistent/leakhound.yml'], 'leakhound dev: /nonexistent/leakhound.yml'],
    [['dev', '--demo', '--store', join(dir, 'store.json')], `leakhound dev: --store ${join(dir, 'store.json')}: not JSON`],
  ];
  // One after the other: each is a Node process compiling the sources, and the machine has 2 cores.
  for (const [args, message] of cases) {
    const r = await runCli(args);
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr.startsWith(message), `${args.join(' ')}: ${r.stderr}`).toBe(true);
    expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    expect(r.stdout).toBe('');
  }
  await rm(dir, { recursive: true, force: true });
}, 90_000);
