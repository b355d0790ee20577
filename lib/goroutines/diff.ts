// diffDumps: which stacks grew between two dumps of the same service, and by how much.
import type { Dump, FindingKind, StackGroup } from './model.ts';
import { signatureOf } from './signatures.ts';

export interface GroupGrowth {
  key: string;
  before: number;
  after: number;
  delta: number;
  /** The leak signature this stack matches, if any. */
  kind: FindingKind | null;
  group: StackGroup;
}

export interface DumpDiff {
  goroutinesBefore: number;
  goroutinesAfter: number;
  /** Stacks that grew, largest growth first. */
  grew: GroupGrowth[];
  /** Stacks that shrank or vanished, largest drop first. */
  shrank: GroupGrowth[];
}

export function diffDumps(base: Pick<Dump, 'groups' | 'goroutines'>, current: Pick<Dump, 'groups' | 'goroutines'>): DumpDiff {
  const before = new Map(base.groups.map((g) => [g.key, g] as const));
  const grew: GroupGrowth[] = [];
  const shrank: GroupGrowth[] = [];
  const seen = new Set<string>();
  for (const g of current.groups) {
    seen.add(g.key);
    const was = before.get(g.key)?.count ?? 0;
    const delta = g.count - was;
    const entry = { key: g.key, before: was, after: g.count, delta, kind: signatureOf(g)?.kind ?? null, group: g };
    if (delta > 0) grew.push(entry);
    else if (delta < 0) shrank.push(entry);
  }
  for (const g of base.groups) {
    if (seen.has(g.key)) continue;
    shrank.push({ key: g.key, before: g.count, after: 0, delta: -g.count, kind: signatureOf(g)?.kind ?? null, group: g });
  }
  grew.sort((a, b) => b.delta - a.delta);
  shrank.sort((a, b) => a.delta - b.delta);
  return { goroutinesBefore: base.goroutines, goroutinesAfter: current.goroutines, grew, shrank };
}
