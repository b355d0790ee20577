// The fuzz targets of bench/fuzz.bench.ts, a few hundred cases each: nothing escapes a parser's
// boundary, and time per byte does not grow with the size of adversarial inputs (relative, so
// it holds on a slow machine). The 100k-case run is the benchmark.
import { describe, expect, it } from 'vitest';
import { fuzzTarget, linearity } from './fuzz/run.ts';
import { FUZZ_TARGETS } from './fuzz/targets.ts';

const CASES: Record<string, number> = { 'slack-requests': 150, catalog: 150 };

describe.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
  it(`no throw escapes: ${target.what}`, async () => {
    // A new seed each run widens the search over time; a failure names it, to replay it.
    const seed = Date.now() % 1_000_000;
    const r = await fuzzTarget(target, { cases: CASES[target.name] ?? 400, seed });
    expect(r.cases).toBeGreaterThan(0);
    expect(r.samples, `escaped with seed ${seed}`).toEqual([]);
    expect(r.escapes).toBe(0);
  });

  it('takes time linear in the input size (1 KB vs 64 KB adversarial inputs)', async () => {
    const shapes = await linearity(target, { small: 1024, large: 64 << 10 });
    // Linear: about 1 or less (fixed costs spread over more bytes). Quadratic: about 64.
    for (const s of shapes) expect(s.ratio, `${s.shape}: ${s.smallNsPerByte.toFixed(0)} → ${s.largeNsPerByte.toFixed(0)} ns/B`).toBeLessThan(16);
  });
});
