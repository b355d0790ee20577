// Restart by running a configured command (VM services: `systemctl restart billing-api`; the
// local demo). The argv comes from the catalog and is spawned without a shell, so nothing in it
// is ever interpreted. It runs in its own process group: on timeout the whole group is
// signalled, so a hung `ssh` or a shell script's children do not outlive it.
import { spawn } from 'node:child_process';
import type { RestartTarget } from '../catalog/index.ts';
import { redact, secretsOfEnv } from '../redact/index.ts';
import { deadlineMs, wrongTarget, type CommandOutput, type Executor, type RestartOptions, type RestartResult } from './executor.ts';
import { describeRestartTarget } from '../catalog/index.ts';

export interface CommandExecutorOptions {
  cwd?: string;
  /** Environment for the command; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Bytes kept from the end of stdout and of stderr. Default 16 KiB. */
  maxOutputBytes?: number;
  /** After SIGTERM on timeout, SIGKILL follows this much later. Default 2 s. */
  killGraceMs?: number;
}

/** Keeps the last `limit` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const over = this.size - this.limit;
      const first = this.chunks[0]!;
      this.truncated = true;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
      }
    }
  }
  /** What is kept; when the start was cut, from the first whole line (a cut secret is not recognisable). */
  text(): string {
    const all = Buffer.concat(this.chunks).toString('utf8');
    if (!this.truncated) return all;
    const nl = all.indexOf('\n');
    return nl === -1 ? '' : all.slice(nl + 1);
  }
}

export class CommandExecutor implements Executor {
  private readonly opts: Required<Omit<CommandExecutorOptions, 'cwd' | 'env'>> & Pick<CommandExecutorOptions, 'cwd' | 'env'>;

  constructor(options: CommandExecutorOptions = {}) {
    this.opts = { maxOutputBytes: 16 << 10, killGraceMs: 2_000, ...options };
  }

  async restart(target: RestartTarget, options: RestartOptions): Promise<RestartResult> {
    if (target.type !== 'command') wrongTarget('command', target);
    const startedAt = new Date().toISOString();
    const what = describeRestartTarget(target);
    const budget = Math.min(target.timeoutSeconds * 1000, deadlineMs(options.deadline) - Date.now());
    const [file, ...args] = target.argv;
    const base = { target: what, startedAt, rollout: null };
    if (!file) return { ...base, outcome: 'failed', message: 'empty command', issued: false, finishedAt: new Date().toISOString(), output: null };
    if (budget <= 0) return { ...base, outcome: 'timed-out', message: `${what}: no time left before the deadline; not started`, issued: false, finishedAt: new Date().toISOString(), output: null };

    const stdout = new Tail(this.opts.maxOutputBytes);
    const stderr = new Tail(this.opts.maxOutputBytes);
    options.onProgress?.({ at: new Date().toISOString(), message: `running ${what}`, rollout: null });

    const run = await new Promise<{ code: number | null; signal: string | null; timedOut: boolean; spawnError: Error | null }>((resolve) => {
      const child = spawn(file, args, { cwd: this.opts.cwd, env: this.opts.env ?? process.env, shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let timedOut = false;
      let settled = false;
      const killGroup = (sig: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, sig);
        } catch {
          // Already gone.
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), this.opts.killGraceMs);
      }, budget);
      const done = (r: { code: number | null; signal: string | null; spawnError: Error | null }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(killTimer);
        // A daemon started by the command may hold our pipes open forever: read what is
        // buffered, then let go of them.
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          resolve({ ...r, timedOut });
        }, 50);
      };
      child.stdout?.on('data', (c: Buffer) => stdout.push(c));
      child.stderr?.on('data', (c: Buffer) => stderr.push(c));
      child.on('error', (err) => done({ code: null, signal: null, spawnError: err }));
      child.on('exit', (code, signal) => done({ code, signal, spawnError: null }));
    });

    // What the command printed ends up in Slack, the audit log and the approval's history: a
    // script that fails by printing its connection string or its password must not spread them.
    const clean = outputScrubber(this.opts.env ?? process.env);
    const output: CommandOutput = { exitCode: run.code, signal: run.signal, stdout: clean(stdout.text()), stderr: clean(stderr.text()), truncated: stdout.truncated || stderr.truncated };
    const finishedAt = new Date().toISOString();
    if (run.spawnError) {
      const code = (run.spawnError as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? `${file}: command not found` : code === 'EACCES' ? `${file}: permission denied` : run.spawnError.message;
      return { ...base, outcome: 'failed', message: `${what} could not start: ${why}`, issued: false, finishedAt, output };
    }
    if (run.timedOut) {
      return { ...base, outcome: 'timed-out', message: `${what} was killed after ${Math.round(budget / 100) / 10} s`, issued: true, finishedAt, output };
    }
    if (run.code === 0) return { ...base, outcome: 'completed', message: `${what} succeeded`, issued: true, finishedAt, output };
    const how = run.code !== null ? `exited with ${run.code}` : `was killed by ${run.signal}`;
    const last = lastLine(output.stderr) ?? lastLine(output.stdout);
    return { ...base, outcome: 'failed', message: `${what} ${how}${last ? `: ${last}` : ''}`, issued: true, finishedAt, output };
  }
}

/** Credential shapes, and the command's own secrets: those of the environment it ran with. */
export function outputScrubber(env: NodeJS.ProcessEnv): (text: string) => string {
  const known = secretsOfEnv(env);
  return (text) => redact(text, { known });
}

function lastLine(text: string): string | null {
  const lines = text.trim().split('\n');
  const line = lines[lines.length - 1]?.trim();
  return line ? line.slice(0, 300) : null;
}
