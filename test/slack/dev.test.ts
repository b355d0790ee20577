// `leakhound dev` without Slack credentials: commands typed on stdin go through the same Bolt
// listeners and a local worker, and every message is printed as Slack would show it.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const CATALOG = `
defaults:
  slackChannel: "#leakhound"
  deadlineSeconds: 2
services:
  - name: billing-api
    database:
      engine: postgres
      url: { env: DEV_TEST_DATABASE_URL }
    dumps:
      sources:
        - http: { urls: ["http://127.0.0.1:1/debug/pprof/goroutine"] }
    slackChannel: "#billing-oncall"
`;

it('prints what Slack would get for commands and an alarm', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'leakhound-dev-'));
  try {
    const config = join(dir, 'catalog.yml');
    await writeFile(config, CATALOG);
    const child = spawn(process.execPath, ['bin/leakhound.mjs', 'dev', '--config', config], {
      env: { ...process.env, LEAKHOUND_FROM_SOURCE: '1', DEV_TEST_DATABASE_URL: 'postgres://nobody:pw-not-shown@127.0.0.1:1/none', SLACK_APP_TOKEN: '', SLACK_BOT_TOKEN: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.stdin.end('/leak help\n/leak triage nope\nalarm billing-api\n/leak status\nquit\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    expect(out).toContain('no Slack credentials, printing what Slack would get');
    expect(out).toContain('only visible to ULOCALDEV1');
    expect(out).toContain('No service `nope` in the catalog. Known services: `billing-api`');
    expect(out).toMatch(/── #billing-oncall · new message/);
    expect(out).toMatch(/── #billing-oncall · message \S+ updated/);
    expect(out).toContain('Details of the triage of `billing-api`');
    expect(out).toContain('1 open incident');
    expect(out).not.toContain('pw-not-shown');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 30_000);
