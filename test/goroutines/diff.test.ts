import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffDumps, readDump } from '../../lib/goroutines/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/dumps/${name}`, import.meta.url));

describe('diffDumps across formats', async () => {
  // Both taken from the same process at the same moment (test/fixtures/dumps/README.md).
  const debug1 = await readDump(fixture('go119-debug1.txt'));
  const debug2 = await readDump(fixture('go119-debug2.txt'));

  it('reports no leak growth between a debug=1 and a debug=2 dump of the same moment, either way round', () => {
    for (const [base, current] of [[debug1, debug2], [debug2, debug1]] as const) {
      const diff = diffDumps(base, current);
      expect(diff.basis).toBe('functions');
      expect(diff.caveats.join(' ')).toMatch(/by function frames only/);
      // before: every labelled stack of debug=1 was "new" in debug=2 (tx-leak +3, pool-exhausted +5, …)
      expect(diff.grew.filter((g) => g.kind !== null)).toEqual([]);
      expect(diff.grew.reduce((n, g) => n + g.delta, 0)).toBeLessThanOrEqual(1);
    }
  });

  it('compares stacks in full within one format and sees real growth', () => {
    const emptier = { ...debug1, groups: debug1.groups.filter((g) => !g.frames.some((f) => f.function === 'database/sql.(*Tx).awaitDone')) };
    const diff = diffDumps(emptier, debug1);
    expect(diff.basis).toBe('stacks');
    expect(diff.caveats).toEqual([]);
    expect(diff.grew.map((g) => [g.kind, g.delta])).toEqual([['tx-leak', 3]]);
  });

  it('warns when a truncated dump takes part', () => {
    expect(diffDumps({ ...debug2, truncated: true }, debug2).caveats.join(' ')).toMatch(/base dump was truncated/);
  });
});
