// diffDumps: which stacks grew between two dumps of the same service, and by how much.
// Dumps of different families compare only what both carry: debug=1 and pprof hold labels but
// no ancestry and cut stacks at 32 frames in older runtimes; debug=2 and tracebacks hold
// ancestry, and labels only from Go 1.27. Comparing their raw keys would call every stack new.
import type { Dump, DumpFormat, FindingKind, StackGroup } from './model.ts';
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
  /** `stacks`: same family, compared in full; `functions`: across families, by function frames only. */
  basis: 'stacks' | 'functions';
  /** What a person should know before trusting the figures. */
  caveats: string[];
}

type Comparable = Pick<Dump, 'groups' | 'goroutines'> & Partial<Pick<Dump, 'format' | 'truncated'>>;

const AGGREGATED: ReadonlySet<DumpFormat> = new Set(['debug1', 'pprof']);
// runtime/pprof kept 32 frames per stack before Go 1.23; tracebacks print up to 100.
const PORTABLE_DEPTH = 32;

const family = (f: DumpFormat | undefined): string | null => (f === undefined ? null : AGGREGATED.has(f) ? 'aggregated' : 'traceback');

export function diffDumps(base: Comparable, current: Comparable): DumpDiff {
  const caveats: string[] = [];
  const crossFormat = family(base.format) !== null && family(current.format) !== null && family(base.format) !== family(current.format);
  if (crossFormat) caveats.push(`compared a ${base.format} dump with a ${current.format} one by function frames only: labels and ancestry are not in both`);
  if (base.truncated) caveats.push('the base dump was truncated: stacks missing from it look like growth');
  if (current.truncated) caveats.push('the current dump was truncated: stacks missing from it look like a drop');
  const keyOf = crossFormat ? portableKey : (g: StackGroup) => g.key;
  const before = regroup(base.groups, keyOf);
  const after = regroup(current.groups, keyOf);

  const grew: GroupGrowth[] = [];
  const shrank: GroupGrowth[] = [];
  for (const [key, g] of after) {
    const was = before.get(key)?.count ?? 0;
    const delta = g.count - was;
    const entry = { key, before: was, after: g.count, delta, kind: signatureOf(g.group)?.kind ?? null, group: g.group };
    if (delta > 0) grew.push(entry);
    else if (delta < 0) shrank.push(entry);
  }
  for (const [key, g] of before) {
    if (after.has(key)) continue;
    shrank.push({ key, before: g.count, after: 0, delta: -g.count, kind: signatureOf(g.group)?.kind ?? null, group: g.group });
  }
  grew.sort((a, b) => b.delta - a.delta);
  shrank.sort((a, b) => a.delta - b.delta);
  return { goroutinesBefore: base.goroutines, goroutinesAfter: current.goroutines, grew, shrank, basis: crossFormat ? 'functions' : 'stacks', caveats };
}

function portableKey(g: StackGroup): string {
  let key = '';
  const n = Math.min(g.frames.length, PORTABLE_DEPTH);
  for (let i = 0; i < n; i++) key += `${g.frames[i]!.function}\n`;
  return key;
}

/** Sums the groups that share a key (under the portable key, label variants of one stack fold). */
function regroup(groups: readonly StackGroup[], keyOf: (g: StackGroup) => string): Map<string, { count: number; group: StackGroup }> {
  const out = new Map<string, { count: number; group: StackGroup }>();
  for (const g of groups) {
    // The goroutine writing the dump is in every dump, in a different form per format.
    if (g.frames.some((f) => f.function.startsWith('runtime/pprof.write'))) continue;
    const key = keyOf(g);
    const prev = out.get(key);
    if (prev) prev.count += g.count;
    else out.set(key, { count: g.count, group: g });
  }
  return out;
}
