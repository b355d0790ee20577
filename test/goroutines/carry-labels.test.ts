// debug=2 from Go before 1.27 has no pprof labels; the debug=1 dump of the same moment has them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { carryLabels, findLeaks, readDump } from '../../lib/goroutines/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/dumps/${name}`, import.meta.url));

describe('carryLabels', async () => {
  // Both taken from the same process at the same moment (test/fixtures/dumps/README.md).
  const debug1 = await readDump(fixture('go119-debug1.txt'));
  const debug2 = await readDump(fixture('go119-debug2.txt'));

  it('gives the debug=2 leak the route debug=1 names, keeping its wait ages', () => {
    expect(findLeaks(debug2).find((f) => f.kind === 'tx-leak')?.culprit.labels).toEqual({});
    const { dump, labelled } = carryLabels(debug2, debug1);
    expect(labelled).toBeGreaterThan(0);
    const tx = findLeaks(dump).find((f) => f.kind === 'tx-leak')!;
    const fromDebug1 = findLeaks(debug1).find((f) => f.kind === 'tx-leak')!;
    expect(tx.culprit.labels).toEqual({ method: 'POST', route: '/transfer' });
    expect(tx.culprit.labels).toEqual(fromDebug1.culprit.labels);
    expect(tx.count).toBe(fromDebug1.count);
    expect(tx.waitMinutes).not.toBeNull();
    expect(dump.goroutines).toBe(debug2.goroutines);
  });

  it('carries only the labels every set of one stack shares, and leaves labelled groups alone', () => {
    const tx = debug1.groups.find((g) => g.frames.some((f) => f.function === 'database/sql.(*Tx).awaitDone'))!;
    const twoRoutes = { groups: [tx, { ...tx, key: `${tx.key}x`, labels: { method: 'POST', route: '/refund' } }] };
    const { dump } = carryLabels(debug2, twoRoutes);
    const carried = dump.groups.find((g) => g.frames.some((f) => f.function === 'database/sql.(*Tx).awaitDone'))!;
    expect(carried.labels).toEqual({ method: 'POST' });
    expect(carryLabels(dump, debug1).dump.groups.find((g) => g.key === carried.key)?.labels).toEqual({ method: 'POST' });
  });

  it('leaves the dump as it is when debug=1 has nothing for its stacks', () => {
    const out = carryLabels(debug2, { groups: [] });
    expect(out).toEqual({ dump: debug2, labelled: 0 });
  });
});
