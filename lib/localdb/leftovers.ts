// What a process that died without cleaning up left in a temporary directory (a SIGKILL runs no
// exit hook; a test runner kills its workers): folders named `<prefix><pid>-…` whose process is
// gone, and a PostgreSQL still running on one of them. The next process removes them.
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a process of this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start of a folder name that says which process made it. */
export const ownName = (prefix: string): string => `${prefix}${process.pid}-`;

/**
 * The server whose data directory is `dataDir`, if one still runs: its postmaster.pid names it,
 * and (where /proc says) its command line names the directory, so no other process is touched.
 */
async function stopOrphanServer(dataDir: string): Promise<void> {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (cmdline === null || !cmdline.split('\0').includes(dataDir)) return;
  process.kill(pid, 'SIGQUIT'); // immediate shutdown: the data is thrown away anyway
  for (let i = 0; i < 50 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Removes `dir`'s folders named `<prefix><pid>-…` of processes that are gone, owned by one of `uids`. */
export async function sweepLeftovers(dir: string, prefixes: readonly string[], uids: ReadonlySet<number>): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    const pid = prefix ? /^(\d+)-/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (!pid || processAlive(Number(pid))) continue;
    const path = join(dir, name);
    const s = await stat(path).catch(() => null);
    if (!s?.isDirectory() || !uids.has(s.uid)) continue;
    await stopOrphanServer(join(path, 'data')).catch(() => undefined);
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}
