// The command executor restarting a real local process, and its timeouts, output and errors.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandExecutor } from '../../lib/remediation/index.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));
const RESTART = fileURLToPath(new URL('./fixtures/restart.mjs', import.meta.url));
const node = process.execPath;
const soon = (ms = 20_000) => Date.now() + ms;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(20);
  }
}

let dir: string;
const started: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leakhound-cmd-'));
});
afterEach(async () => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function startService(pidFile: string): Promise<number> {
  const child = spawn(node, [SERVICE, pidFile], { detached: true, stdio: 'ignore' });
  child.unref();
  await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')) === String(child.pid));
  started.push(child.pid!);
  return child.pid!;
}

describe('CommandExecutor', () => {
  it('restarts a real local process: the old pid is gone, a new one runs', async () => {
    const pidFile = join(dir, 'service.pid');
    const before = await startService(pidFile);
    const result = await new CommandExecutor().restart({ type: 'command', argv: [node, RESTART, pidFile, SERVICE], timeoutSeconds: 15 }, { deadline: soon() });
    const after = Number(await readFile(pidFile, 'utf8'));
    started.push(after);

    expect(result).toMatchObject({ outcome: 'completed', issued: true, output: { exitCode: 0, signal: null, truncated: false } });
    expect(result.message).toMatch(/succeeded$/);
    expect(result.output!.stdout).toBe(`restarted: ${before} -> ${after}\n`);
    expect(after).not.toBe(before);
    expect(alive(before)).toBe(false);
    expect(alive(after)).toBe(true);
  });

  it('kills a command that outlives its timeout, with its whole process group', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    // A shell-less parent that starts a child in its own group and then hangs.
    const script = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, [${JSON.stringify(SERVICE)}, ${JSON.stringify(pidFile)}], { stdio: 'ignore' });
      console.log('started ' + c.pid);
      setInterval(() => {}, 1000);`;
    const t0 = Date.now();
    const result = await new CommandExecutor({ killGraceMs: 200 }).restart({ type: 'command', argv: [node, '-e', script], timeoutSeconds: 1.5 }, { deadline: soon() });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(result).toMatchObject({ outcome: 'timed-out', issued: true, output: { signal: 'SIGTERM' } });
    expect(result.message).toMatch(/was killed after 1\.5 s/);
    const grandchild = Number(/^started (\d+)\n$/.exec(result.output!.stdout)?.[1]);
    expect(grandchild).toBeGreaterThan(0);
    started.push(grandchild);
    await waitFor(() => !alive(grandchild), 2_000);
  });

  it('follows SIGTERM with SIGKILL for a command that ignores it', async () => {
    const script = `process.on('SIGTERM', () => {}); console.log('stubborn'); setInterval(() => {}, 1000);`;
    const result = await new CommandExecutor({ killGraceMs: 100 }).restart({ type: 'command', argv: [node, '-e', script], timeoutSeconds: 0.5 }, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'timed-out', output: { signal: 'SIGKILL' } });
  });

  it('never runs past the caller deadline, even with a longer configured timeout', async () => {
    const t0 = Date.now();
    const result = await new CommandExecutor({ killGraceMs: 100 }).restart({ type: 'command', argv: [node, '-e', 'setInterval(() => {}, 1000)'], timeoutSeconds: 60 }, { deadline: Date.now() + 300 });
    expect(result.outcome).toBe('timed-out');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('reports a non-zero exit with the last line of stderr', async () => {
    const result = await new CommandExecutor().restart(
      { type: 'command', argv: [node, '-e', 'console.log("stopping"); console.error("Failed to restart billing-api.service: Unit not found."); process.exit(5)'], timeoutSeconds: 10 },
      { deadline: soon() },
    );
    expect(result).toMatchObject({ outcome: 'failed', issued: true, output: { exitCode: 5, stdout: 'stopping\n' } });
    expect(result.message).toMatch(/exited with 5: Failed to restart billing-api\.service: Unit not found\.$/);
  });

  it('reports a missing program without throwing', async () => {
    const result = await new CommandExecutor().restart({ type: 'command', argv: ['/nonexistent/restart-me', 'now'], timeoutSeconds: 5 }, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'failed', issued: false });
    expect(result.message).toMatch(/could not start: \/nonexistent\/restart-me: command not found/);
  });

  it('passes arguments without a shell: nothing in them is interpreted', async () => {
    const marker = join(dir, 'pwned');
    const result = await new CommandExecutor().restart(
      { type: 'command', argv: [node, '-e', 'console.log(process.argv[1])', `$(touch ${marker}); touch ${marker}`], timeoutSeconds: 5 },
      { deadline: soon() },
    );
    expect(result.output!.stdout).toBe(`$(touch ${marker}); touch ${marker}\n`);
    await expect(stat(marker)).rejects.toThrow();
  });

  it('keeps only the tail of a large output', async () => {
    const result = await new CommandExecutor({ maxOutputBytes: 1024 }).restart(
      { type: 'command', argv: [node, '-e', 'for (let i = 0; i < 5000; i++) console.log("line " + i)'], timeoutSeconds: 10 },
      { deadline: soon() },
    );
    expect(result.output!.truncated).toBe(true);
    expect(Buffer.byteLength(result.output!.stdout)).toBeLessThanOrEqual(1024);
    expect(result.output!.stdout.endsWith('line 4999\n')).toBe(true);
  });
});
