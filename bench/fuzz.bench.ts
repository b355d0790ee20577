// Fuzzing every parser of outside input (test/security/fuzz/targets.ts): goroutine dumps in
// every format, alarm and webhook payloads, Slack button values, `/leak` text and whole signed
// Slack requests through the Bolt listeners, catalog files, database URLs, the query
// fingerprinter, and outside text on its way out (credential scrubbers, the Report renderer).
// Over 100k generated or mutated cases; for each: cases run, throws that escaped its boundary
// (must be 0), the slowest case, and time per byte of adversarial inputs at 1 KB and 1 MB
// (linear when the ratio stays near or below 1; a quadratic scanner would show about 1000).
//
//   node bin/run-ts.mjs bench/run.ts fuzz            (FUZZ_SEED=… for another run)
import { fuzzTarget, linearity, type Linearity } from '../test/security/fuzz/run.ts';
import { FUZZ_TARGETS } from '../test/security/fuzz/targets.ts';

/** Cases per parser: the slow ones (a Bolt round trip, a YAML document) get fewer. */
const CASES: Record<string, number> = {
  dumps: 20_000,
  alerts: 20_000,
  'slack-button-values': 20_000,
  'slack-command-text': 20_000,
  'slack-requests': 10_000,
  catalog: 10_000,
  'database-urls': 20_000,
  'query-fingerprint': 20_000,
  'outgoing-text': 10_000,
};

/** Above this, time per byte grows with size: something rescans its input. */
const MAX_RATIO = 8;

const kb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`);

export async function run(): Promise<Record<string, string | number>> {
  const seed = Number(process.env['FUZZ_SEED'] ?? 20261123);
  const figures: Record<string, string | number> = { seed };
  const problems: string[] = [];
  let total = 0;
  let escapes = 0;
  const started = performance.now();
  for (const target of FUZZ_TARGETS) {
    const r = await fuzzTarget(target, { cases: CASES[target.name] ?? 10_000, seed });
    total += r.cases;
    escapes += r.escapes;
    figures[`${r.target}: cases`] = r.cases;
    figures[`${r.target}: escaped throws`] = r.escapes;
    figures[`${r.target}: slowest case`] = `${r.slowestMs.toFixed(1)} ms (${kb(r.slowestBytes)}); all cases ${(r.totalMs / 1000).toFixed(1)} s`;
    for (const s of r.samples) problems.push(`${r.target}: ${s}`);

    const lin = await linearity(target, { small: 1024, large: 1 << 20 });
    const worst = lin.reduce<Linearity | null>((w, l) => (w === null || l.ratio > w.ratio ? l : w), null);
    if (worst) {
      figures[`${r.target}: linear time`] =
        `worst shape "${worst.shape}": ${worst.smallNsPerByte.toFixed(0)} ns/B at ${kb(worst.smallBytes)}, ${worst.largeNsPerByte.toFixed(0)} ns/B at ${kb(worst.largeBytes)} (ratio ${worst.ratio.toFixed(2)}, ${lin.length} shapes)`;
    }
    for (const l of lin) if (l.ratio > MAX_RATIO) problems.push(`${l.target}: "${l.shape}" is not linear (time per byte x${l.ratio.toFixed(1)} from 1 KB to 1 MB)`);
  }
  figures['total cases'] = total;
  figures['total escaped throws'] = escapes;
  figures['wall time'] = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  figures['verdict'] = problems.length ? `FAILED: ${problems.slice(0, 5).join(' | ')}` : 'ok: no throw escaped, every parser linear';
  if (problems.length) process.exitCode = 1;
  return figures;
}
