// Runs fuzz targets: N cases each (counting escapes instead of stopping at the first, so a run
// reports them all), the slowest case, and the time per byte of adversarial inputs at two sizes.
import fc from 'fast-check';
import type { FuzzTarget } from './targets.ts';

/** The start of a case, to reproduce it from the report. */
function preview(input: unknown): string {
  const text = input instanceof Uint8Array ? Buffer.from(input.subarray(0, 200)).toString('base64') : (JSON.stringify(input) ?? String(input));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export interface FuzzResult {
  target: string;
  cases: number;
  escapes: number;
  /** The first few escapes: what broke, on what input size. */
  samples: string[];
  slowestMs: number;
  slowestBytes: number;
  totalMs: number;
}

export async function fuzzTarget<T>(target: FuzzTarget<T>, options: { cases: number; seed?: number }): Promise<FuzzResult> {
  const runner = await target.open();
  const result: FuzzResult = { target: target.name, cases: 0, escapes: 0, samples: [], slowestMs: 0, slowestBytes: 0, totalMs: 0 };
  const started = performance.now();
  try {
    await fc.assert(
      fc.asyncProperty(target.arbitrary, async (input) => {
        result.cases += 1;
        const t0 = performance.now();
        try {
          await runner.run(input);
        } catch (err) {
          result.escapes += 1;
          if (result.samples.length < 5) result.samples.push(`${err instanceof Error ? err.message : String(err)} (${target.size(input)} bytes: ${preview(input)})`);
        }
        const ms = performance.now() - t0;
        if (ms > result.slowestMs) {
          result.slowestMs = ms;
          result.slowestBytes = target.size(input);
        }
        return true;
      }),
      { numRuns: options.cases, seed: options.seed ?? 20261123, endOnFailure: true },
    );
  } finally {
    await runner.close?.();
  }
  result.totalMs = performance.now() - started;
  return result;
}

export interface Linearity {
  target: string;
  shape: string;
  smallBytes: number;
  largeBytes: number;
  smallNsPerByte: number;
  largeNsPerByte: number;
  /** Time per byte at the large size over the small one: ~1 or less when linear, ~size ratio when quadratic. */
  ratio: number;
}

/** Time per byte at `small` and `large` bytes for each adversarial shape of the target. */
export async function linearity<T>(target: FuzzTarget<T>, sizes: { small: number; large: number }): Promise<Linearity[]> {
  const runner = await target.open();
  const out: Linearity[] = [];
  try {
    for (const [shape, make] of Object.entries(target.adversarial)) {
      const small = make(sizes.small);
      const large = make(sizes.large);
      const once = async (input: T) => {
        const t0 = performance.now();
        try {
          await runner.run(input);
        } catch {
          // Escapes are counted by fuzzTarget; here only the time matters.
        }
        return performance.now() - t0;
      };
      // Small inputs: many runs (timer resolution, JIT warm-up), the median of batches.
      for (let i = 0; i < 20; i++) await once(small);
      const batches: number[] = [];
      for (let b = 0; b < 7; b++) {
        let ms = 0;
        let runs = 0;
        while (ms < 5 && runs < 2000) {
          ms += await once(small);
          runs += 1;
        }
        batches.push(ms / runs);
      }
      batches.sort((a, b) => a - b);
      const smallMs = batches[3]!;
      // Large inputs: the best of three (GC pauses only ever add).
      let largeMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) largeMs = Math.min(largeMs, await once(large));
      const sb = target.size(small);
      const lb = target.size(large);
      const smallNs = (smallMs * 1e6) / Math.max(1, sb);
      const largeNs = (largeMs * 1e6) / Math.max(1, lb);
      out.push({ target: target.name, shape, smallBytes: sb, largeBytes: lb, smallNsPerByte: smallNs, largeNsPerByte: largeNs, ratio: largeNs / Math.max(smallNs, 1e-9) });
    }
  } finally {
    await runner.close?.();
  }
  return out;
}
