// Drives an interactive `leakhound` command (the dev console) as a person would: type a line,
// wait for what it prints, type the next. Keeps the transcript, typed lines marked with `» `.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/leakhound.mjs', import.meta.url));

export interface ConsoleSession {
  /** Everything printed (stdout and stderr, in arrival order) and typed so far. */
  transcript(): string;
  /** Types a line. */
  type(line: string): void;
  /** Waits until the output printed since the last wait (or the start) matches; returns the match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Ends the input and resolves with the exit code. */
  end(timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code, the input left open (as a terminal stays open after `quit`). */
  exited(timeoutMs?: number): Promise<number | null>;
  kill(): void;
}

export function startConsole(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ConsoleSession {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, LEAKHOUND_FROM_SOURCE: '1', SLACK_APP_TOKEN: '', SLACK_BOT_TOKEN: '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  let cursor = 0;
  const listeners = new Set<() => void>();
  const add = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  exited.then(() => listeners.forEach((l) => l()));

  return {
    transcript: () => text,
    type(line) {
      text += `» ${line}\n`;
      child.stdin.write(`${line}\n`);
    },
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text.slice(cursor));
          if (m) {
            cursor += m.index! + m[0].length;
            done();
            resolve(m);
          } else if (child.exitCode !== null) {
            done();
            reject(new Error(`the command exited (${child.exitCode}) before printing ${pattern}; output:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async end(timeoutMs = 60_000) {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async exited(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running ${timeoutMs} ms later; output:\n${text}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill: () => void child.kill('SIGKILL'),
  };
}
