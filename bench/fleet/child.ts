// The parent side of the fleet bench's processes: start a TypeScript child through
// bin/run-ts.mjs with an IPC channel, wait for its messages under a timeout, and kill it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './messages.ts';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url));
/** After SIGTERM a child gets this long to close its sockets before SIGKILL. */
const KILL_GRACE_MS = 5_000;

type MessageOf<T extends ChildMessage['type']> = Extract<ChildMessage, { type: T }>;

export interface BenchChild {
  readonly name: string;
  send(message: ParentMessage): void;
  /** The child's next message of `type`; rejects on its `error` message, its exit, or the timeout. */
  next<T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<MessageOf<T>>;
  /** Every message of `type` as it arrives. */
  on<T extends ChildMessage['type']>(type: T, listener: (m: MessageOf<T>) => void): void;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** `file` is relative to this folder, e.g. './triage.ts'. */
export function startChild(name: string, file: string, nodeArgs: string[] = []): BenchChild {
  const child = spawn(process.execPath, [...nodeArgs, RUN_TS, fileURLToPath(new URL(file, import.meta.url))], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let goneReason: string | null = null;
  // An error the child reported before anyone waited is still the reason a later wait fails.
  let reportedError: string | null = null;
  child.on('message', (m: ChildMessage) => m?.type === 'error' && (reportedError = m.message));
  const gone = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve((goneReason = `${name} exited (${signal ?? `code ${code}`})`)));
    // A child that could not be spawned emits 'error' and never 'exit'.
    child.once('error', (err) => child.pid === undefined && resolve((goneReason = `${name} could not start: ${err.message}`)));
  });

  return {
    name,
    send(message) {
      if (goneReason === null) child.send(message);
    },
    on(type, listener) {
      child.on('message', (m: ChildMessage) => m?.type === type && listener(m as never));
    },
    next(type, timeoutMs) {
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          settle();
        };
        const onMessage = (m: ChildMessage) => {
          if (m?.type === type) finish(() => resolve(m as never));
          else if (m?.type === 'error') finish(() => reject(new Error(m.message)));
        };
        child.on('message', onMessage);
        timer = setTimeout(() => finish(() => reject(new Error(`${name}: no ${type} within ${timeoutMs / 1000} s`))), timeoutMs);
        void gone.then((why) => finish(() => reject(new Error(reportedError ?? `${why} while waiting for ${type}`))));
      });
    },
    async stop() {
      if (goneReason !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}
