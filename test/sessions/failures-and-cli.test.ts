// When the database cannot be read: unreachable, silent (a security group dropping packets), a
// bad URL. Snapshots say so within the deadline; `leakhound sessions` prints the problem and
// its remedy and exits 3. Plus the command's normal output on the machine's PostgreSQL.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sessionsCommand } from '../../lib/cli/sessions.ts';
import { CliError } from '../../lib/cli/errors.ts';
import { freePort } from '../../lib/localdb/embedded-postgres.ts';
import { takeSnapshot } from '../../lib/sessions/index.ts';
import { assertAvailable, PG15_URL, pgReachable, skipUnless } from '../support/db-sessions.ts';

const pg15 = await pgReachable(PG15_URL);

async function runCli(argv: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    const code = await sessionsCommand.run(argv);
    return { code, out: out.join('') };
  } finally {
    spy.mockRestore();
    process.env = saved;
  }
}

describe('snapshots of databases that cannot be read', () => {
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts TCP and never says a word, like a black-holed route or a stuck proxy.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it.each(['postgres', 'mysql'])('%s: a silent server yields a timeout problem within the deadline', async (scheme) => {
    const t0 = Date.now();
    const snap = await takeSnapshot(`${scheme}://u:very-secret@127.0.0.1:${silentPort}/db`, { timeoutMs: 400 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(snap.problems).toEqual([expect.objectContaining({ kind: 'timeout', fatal: true })]);
    expect(snap.capacity).toBeNull();
    expect(JSON.stringify(snap)).not.toContain('very-secret');
  });

  it.each(['postgres', 'mysql'])('%s: a closed port is unreachable', async (scheme) => {
    const port = await freePort();
    const snap = await takeSnapshot(`${scheme}://u:pw@127.0.0.1:${port}/db`, { timeoutMs: 2_000 });
    expect(snap.problems).toEqual([expect.objectContaining({ kind: 'unreachable', code: 'ECONNREFUSED', fatal: true })]);
  });

  it('an unknown host is unreachable, with a DNS remedy', async () => {
    const snap = await takeSnapshot('postgres://u:pw@no-such-host.invalid:5432/db', { timeoutMs: 3_000 });
    expect(snap.problems[0]).toMatchObject({ kind: expect.stringMatching(/unreachable|timeout/), fatal: true });
  });

  it('a bad URL is an invalid_target problem from takeSnapshot, not an exception', async () => {
    const snap = await takeSnapshot('redis://u:pw@host/0');
    expect(snap.problems).toEqual([expect.objectContaining({ kind: 'invalid_target', fatal: true })]);
    expect(snap.target).toBe('redis://u:***@host/0');
  });
});

describe.skipIf(skipUnless(pg15))('behind a pooler that refuses startup parameters (PgBouncer)', () => {
  let bouncer: Server;
  let port: number;
  let refused = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    assertAvailable(pg15, `PostgreSQL at ${PG15_URL}`);
    const upstream = new URL(PG15_URL);
    // Like PgBouncer without ignore_startup_parameters: a startup packet carrying `options` or
    // `statement_timeout` is answered with an error; anything else is relayed to PostgreSQL.
    bouncer = createServer((client) => {
      sockets.push(client);
      client.once('data', (first) => {
        const params = first.subarray(8).toString('latin1').split('\0');
        if (params.includes('options') || params.includes('statement_timeout')) {
          refused++;
          const fields = Buffer.from('SFATAL\0C08P01\0Munsupported startup parameter: options\0\0', 'latin1');
          const header = Buffer.alloc(5);
          header.write('E', 0, 'latin1');
          header.writeInt32BE(fields.length + 4, 1);
          client.end(Buffer.concat([header, fields]));
          return;
        }
        const server = createConnection({ host: upstream.hostname, port: Number(upstream.port || 5432) }, () => server.write(first));
        sockets.push(server);
        client.pipe(server).pipe(client);
        server.on('error', () => client.destroy());
        client.on('error', () => server.destroy());
      });
    });
    await new Promise<void>((r) => bouncer.listen(0, '127.0.0.1', r));
    port = (bouncer.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => bouncer?.close(r));
  });

  it('retries without startup settings and reads the sessions', async () => {
    const url = new URL(PG15_URL);
    url.port = String(port);
    const snap = await takeSnapshot(url.toString(), { timeoutMs: 3_000 });
    expect(refused).toBe(1);
    expect(snap.problems).toEqual([]);
    expect(snap.capacity).not.toBeNull();
  });
});

describe('leakhound sessions', () => {
  it('user errors are CliErrors (exit 2): no database, bad URL, bad flags', async () => {
    await expect(runCli([], { LEAKHOUND_DATABASE_URL: undefined })).rejects.toThrow(/no database: pass --database/);
    await expect(runCli(['--database', 'ftp://x'])).rejects.toThrow(CliError);
    await expect(runCli(['--database', 'postgres://x', '--format', 'xml'])).rejects.toThrow(/--format must be one of text, json/);
    await expect(runCli(['--database', 'postgres://x', '--min-age', 'soon'])).rejects.toThrow(/--min-age must be a duration/);
    await expect(runCli(['--database', 'postgres://x', '--bogus'])).rejects.toThrow(CliError);
  });

  it('unreachable: prints the problem and its remedy, password redacted, exit 3', async () => {
    const port = await freePort();
    const { code, out } = await runCli([], { LEAKHOUND_DATABASE_URL: `postgres://bot:hunter2-pw@127.0.0.1:${port}/app` });
    expect(code).toBe(3);
    expect(out.split('\n')[0]).toBe('UNKNOWN; could not read sessions (unreachable, ECONNREFUSED)');
    expect(out).toContain(`postgres://bot:***@127.0.0.1:${port}/app`);
    expect(out).toMatch(/PROBLEM \(unreachable, ECONNREFUSED\)/);
    expect(out).toContain('fix: Check host and port');
    expect(out).not.toContain('hunter2-pw');
  });

  it('--help', async () => {
    const { code, out } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('--min-age');
  });

  describe.skipIf(skipUnless(pg15))('on the machine PostgreSQL 15', () => {
    it('text: verdict first, then capacity and evidence; json: verdict + snapshot', async () => {
      assertAvailable(pg15, `PostgreSQL at ${PG15_URL}`);
      const text = await runCli(['--database', PG15_URL, '--min-age', '2m']);
      expect(text.code).toBe(0);
      const lines = text.out.split('\n');
      expect(lines[0]).toMatch(/^(OK|SUSPECT|NEAR FULL|FULL): \d+\/\d+ connections/);
      expect(lines[1]).toMatch(/^ {2}PostgreSQL 15\.\d+ .* at postgres:\/\/postgres@127\.0\.0\.1:5432\/test, read in \d+ ms$/);
      expect(lines[2]).toMatch(/^ {2}capacity: \d+ in use of \d+ usable \(\d+ max, \d+ for superusers\), \d+ free$/);

      const json = await runCli(['--database', PG15_URL, '--format', 'json']);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.out) as { verdict: { level: string; headline: string }; snapshot: { engine: string; thresholds: { minAgeMs: number } } };
      expect(parsed.snapshot.engine).toBe('postgres');
      expect(parsed.snapshot.thresholds.minAgeMs).toBe(30_000);
      expect(['ok', 'suspect', 'near_full', 'full']).toContain(parsed.verdict.level);
    });
  });
});
