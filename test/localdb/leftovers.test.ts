// A process killed with SIGKILL runs no exit hook: its embedded PostgreSQL keeps running and its
// directory stays. The next one to start a server stops that orphan and removes what was left,
// and touches nothing of a process still alive.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect, it } from 'vitest';
import { processAlive, sweepLeftovers } from '../../lib/localdb/leftovers.ts';

// As root the server's directory belongs to the postgres user.
const uids = new Set([process.getuid?.() ?? -1, process.getuid?.() === 0 ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })) : -1]);

/** Starts an embedded PostgreSQL in a child process; resolves with its pid and the server's URL. */
function startInChild(): Promise<{ pid: number; url: string }> {
  const code = `const m = await import('./lib/localdb/embedded-postgres.ts'); const db = await m.startEmbeddedPostgres(); console.log(db.url); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve({ pid: child.pid!, url: String(d).trim() }));
    child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
}

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

it('stops the server of a killed process and removes its directory', async () => {
  const { pid, url } = await startInChild();
  const dir = join(tmpdir(), readdirSync(tmpdir()).find((n) => n.startsWith(`leakhound-pg-${pid}-`))!);
  const mine = mkdtempSync(join(tmpdir(), `leakhound-pg-${process.pid}-`));
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  expect(processAlive(pid)).toBe(false);
  expect(await answers(url)).toBe(true); // the orphan

  await sweepLeftovers(tmpdir(), ['leakhound-pg-'], uids);
  expect(existsSync(dir)).toBe(false);
  expect(await answers(url)).toBe(false);
  // A live process's directory is left alone.
  expect(existsSync(mine)).toBe(true);
  rmSync(mine, { recursive: true });
}, 120_000);
