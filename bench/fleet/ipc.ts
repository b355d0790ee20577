// The child side of the fleet bench's processes: messages to and from the parent over the IPC
// channel, and the guards that make sure a child never outlives its parent or its time.
import type { ChildMessage, ParentMessage } from './messages.ts';

export function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Resolves with the parent's next message of `type`. */
export function receive<T extends ParentMessage['type']>(type: T): Promise<Extract<ParentMessage, { type: T }>> {
  return new Promise((resolve) => {
    const onMessage = (m: ParentMessage) => {
      if (m?.type !== type) return;
      process.off('message', onMessage);
      resolve(m as Extract<ParentMessage, { type: T }>);
    };
    process.on('message', onMessage);
  });
}

/**
 * Runs `main` as a bench child: exits when the parent goes away (its channel closes) or after
 * `lifetimeMs`, and reports a failure as an `error` message instead of dying silently.
 * `cleanup` runs before any exit it can catch.
 */
export function runChild(name: string, lifetimeMs: number, main: () => Promise<void>, cleanup: () => Promise<void> = async () => undefined): void {
  if (!process.send) {
    console.error(`${name}: a child of bench/fleet.bench.ts, started with an IPC channel`);
    process.exit(2);
  }
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    // Cleanup gets a bounded moment: the parent kills us anyway after its own grace period.
    const force = setTimeout(() => process.exit(code), 3_000);
    force.unref();
    cleanup()
      .catch(() => undefined)
      .finally(() => process.exit(code));
  };
  process.on('disconnect', () => exit(0));
  process.on('SIGTERM', () => exit(0));
  const lifetime = setTimeout(() => {
    console.error(`${name}: still running after ${lifetimeMs / 1000} s; exiting`);
    exit(3);
  }, lifetimeMs);
  lifetime.unref();
  main().catch((err: unknown) => {
    send({ type: 'error', message: `${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
    exit(1);
  });
}

export function log(message: string): void {
  if (process.env.BENCH_VERBOSE) console.error(`  ${message}`);
}
