// Builds a very large, runtime-truncated `?debug=2` goroutine dump from the real Go service.
//
//   node bin/run-ts.mjs bench/make-big-dump.ts [out-path] [--waiters 100000]
//
// Creates a scratch PostgreSQL database, starts billing-api with a pool of 4, exhausts the pool
// with leaked transactions, spawns `waiters` goroutines that all wait for a connection in
// database/sql.(*DB).conn, then captures /debug/pprof/goroutine?debug=2. The Go runtime stops
// writing at 64 MiB, so the file is exactly 67,108,864 bytes and ends mid-goroutine. Everything
// is stopped and dropped afterwards, also on failure.
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createScratchDb } from '../test/support/scratch-db.ts';
import { leaks, startGoService } from '../lib/demo/run-goservice.ts';

export const GO_DUMP_CAP = 64 << 20;

export interface BigDump {
  /** Size of the file written. */
  bytes: number;
  /** Goroutine headers ("goroutine N [state]:") in the file, the last one possibly cut. */
  goroutines: number;
  /** Goroutines the process had when the dump was taken (runtime.NumGoroutine, just before). */
  processGoroutines: number;
  /** True when the runtime cut the dump at its 64 MiB cap. */
  truncated: boolean;
  /** Wall time of the whole run, and of the dump request alone. */
  seconds: number;
  dumpSeconds: number;
}

export interface MakeBigDumpOptions {
  /** Goroutines parked on the exhausted pool (default 100,000: at ~1.07 KB of debug=2 text per waiter, 50,000 make only ~54 MB; the 64 MiB cap needs ~63,000). */
  waiters?: number;
  /** Progress lines go here (default: none). */
  log?: (line: string) => void;
}

/** Counts "\ngoroutine " headers without holding the whole file as a string. */
async function countGoroutines(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const needle = Buffer.from('\ngoroutine ');
    const buf = Buffer.alloc(1 << 20);
    let count = 0;
    let carry = Buffer.alloc(0);
    let first = true;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      if (first) {
        if (chunk.subarray(0, needle.length - 1).equals(needle.subarray(1))) count++;
        first = false;
      }
      let i = 0;
      while ((i = chunk.indexOf(needle, i)) >= 0) {
        count++;
        i += needle.length;
      }
      carry = chunk.subarray(Math.max(0, chunk.length - (needle.length - 1)));
    }
    return count;
  } finally {
    await fh.close();
  }
}

export async function makeBigDump(path: string, opts: MakeBigDumpOptions = {}): Promise<BigDump> {
  const waiters = opts.waiters ?? 100_000;
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const db = await createScratchDb();
  try {
    const pool = 4;
    const svc = await startGoService({ dsn: db.dsn, maxOpen: pool });
    try {
      for (let from = 1; from <= pool; from++) await leaks.transfer(svc, from);
      const before = await svc.stats();
      if (before.inUse !== pool) throw new Error(`pool not exhausted: ${before.inUse}/${pool} in use`);
      log(`pool of ${pool} exhausted by leaked transactions; spawning ${waiters} waiters`);

      const spawned = await svc.text(`/spawn-waiters?n=${waiters}`, { timeoutMs: 60_000 });
      if (spawned.status !== 200) throw new Error(`/spawn-waiters: HTTP ${spawned.status} ${spawned.body}`);
      const stats = await svc.waitFor(
        `${waiters} goroutines waiting in (*DB).conn`,
        async () => {
          const s = await svc.stats();
          return s.waitCount >= before.waitCount + waiters ? s : null;
        },
        120_000,
      );
      log(`${stats.goroutines} goroutines, ${stats.waitCount} waiting for a connection; dumping debug=2`);

      const t0 = Date.now();
      const bytes = await svc.dumpToFile(2, path, { timeoutMs: 300_000 });
      const dumpSeconds = (Date.now() - t0) / 1000;
      const size = (await stat(path)).size;
      if (size !== bytes) throw new Error(`wrote ${size} bytes, received ${bytes}`);
      const goroutines = await countGoroutines(path);
      log(`${bytes} bytes, ${goroutines} goroutine headers, in ${dumpSeconds.toFixed(1)} s`);
      return {
        bytes,
        goroutines,
        processGoroutines: stats.goroutines,
        truncated: bytes >= GO_DUMP_CAP,
        seconds: (Date.now() - started) / 1000,
        dumpSeconds,
      };
    } finally {
      await svc.stop();
    }
  } finally {
    await db.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { waiters: { type: 'string' } },
  });
  const out = resolve(positionals[0] ?? 'big-debug2.txt');
  const waiters = values.waiters ? Number(values.waiters) : undefined;
  const result = await makeBigDump(out, { waiters, log: (l) => console.error(l) });
  console.log(JSON.stringify({ path: out, ...result }, null, 2));
}
