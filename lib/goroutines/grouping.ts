// Folds goroutines into StackGroups as they are read, so memory grows with the number of
// distinct stacks, not with the number of goroutines or the size of the dump.
import type { Frame, StackGroup, WaitSpread } from './model.ts';

/** What a parser hands over the first time it sees a stack: the group's identity in full. */
export interface GroupShape {
  frames: Frame[];
  createdBy: Frame | null;
  ancestry: Frame[];
  labels: Record<string, string>;
}

interface GroupState {
  group: StackGroup;
  /** Wait minutes -> goroutines; bounded by the number of distinct wait values. */
  waits: Map<number, number> | null;
}

export class GroupBuilder {
  private readonly byKey = new Map<string, GroupState>();
  goroutines = 0;

  /**
   * Counts `count` goroutines with the stack identified by `key`. `shape` is called only when
   * the key is new, so parsers can defer building frames until a stack is first seen.
   */
  add(
    key: string,
    count: number,
    state: string,
    waitMinutes: number | null,
    lockedToThread: boolean,
    shape: () => GroupShape,
  ): void {
    this.goroutines += count;
    let entry = this.byKey.get(key);
    if (!entry) {
      const s = shape();
      entry = {
        group: {
          key,
          count: 0,
          states: {},
          waitMinutes: null,
          frames: s.frames,
          createdBy: s.createdBy,
          ancestry: s.ancestry,
          labels: s.labels,
          lockedToThread: 0,
        },
        waits: null,
      };
      this.byKey.set(key, entry);
    }
    const g = entry.group;
    g.count += count;
    g.states[state] = (g.states[state] ?? 0) + count;
    if (lockedToThread) g.lockedToThread += count;
    if (waitMinutes !== null) {
      entry.waits ??= new Map();
      entry.waits.set(waitMinutes, (entry.waits.get(waitMinutes) ?? 0) + count);
    }
  }

  /** Groups, largest first, with wait spreads computed. */
  finish(): StackGroup[] {
    const groups: StackGroup[] = [];
    for (const { group, waits } of this.byKey.values()) {
      if (waits) group.waitMinutes = spreadOf(waits, group.count);
      groups.push(group);
    }
    groups.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
    return groups;
  }
}

/**
 * Min/median/max of a wait histogram. Goroutines that waited under a minute carry no figure in
 * the header; they count as 0 so the median is honest about them.
 */
function spreadOf(waits: Map<number, number>, total: number): WaitSpread {
  const values = [...waits.keys()].sort((a, b) => a - b);
  const counted = [...waits.values()].reduce((a, b) => a + b, 0);
  const zeros = total - counted;
  const histogram: Array<[number, number]> = zeros > 0 ? [[0, zeros]] : [];
  for (const v of values) histogram.push([v, waits.get(v)!]);
  const mid = Math.floor((total - 1) / 2);
  let seen = 0;
  let median = 0;
  for (const [v, n] of histogram) {
    if (seen + n > mid) {
      median = v;
      break;
    }
    seen += n;
  }
  return { min: histogram[0]![0], median, max: histogram[histogram.length - 1]![0] };
}

/** Merges groups from several dumps (replicas) by key. */
export function mergeGroups(lists: StackGroup[][]): StackGroup[] {
  const merged = new Map<string, StackGroup>();
  for (const list of lists) {
    for (const g of list) {
      const prev = merged.get(g.key);
      if (!prev) {
        merged.set(g.key, { ...g, states: { ...g.states }, waitMinutes: g.waitMinutes && { ...g.waitMinutes } });
        continue;
      }
      prev.count += g.count;
      prev.lockedToThread += g.lockedToThread;
      for (const [s, n] of Object.entries(g.states)) prev.states[s] = (prev.states[s] ?? 0) + n;
      if (g.waitMinutes) {
        // Medians do not merge exactly; keep the larger one, which is what an on-call engineer acts on.
        prev.waitMinutes = prev.waitMinutes
          ? {
              min: Math.min(prev.waitMinutes.min, g.waitMinutes.min),
              median: Math.max(prev.waitMinutes.median, g.waitMinutes.median),
              max: Math.max(prev.waitMinutes.max, g.waitMinutes.max),
            }
          : { ...g.waitMinutes };
      }
    }
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

/**
 * Identity of a stack: function names (no args or addresses), ancestry and labels. The creator is
 * left out on purpose: debug=1 and pprof do not print it, and keys must match across formats so
 * a debug=1 dump can be diffed against a debug=2 one.
 */
export function stackKey(functions: readonly string[], ancestry: readonly string[], labels: string): string {
  return `${functions.join('\n')}\n^${ancestry.join('\n')}\n#${labels}`;
}

const LOCATION_TAIL = /:(\d+)(?: \+0x[0-9a-fA-F]+)?(?: fp=\S+ sp=\S+ pc=\S+)?\s*$/;

/**
 * Splits a `file:line` (optionally followed by ` +0x1f` or ` fp=… sp=… pc=…`) into a location.
 * Leading tabs and spaces are indentation; a path may hold spaces (`C:/Program Files/Go/…`).
 */
export function parseLocation(text: string, fn: string): Frame {
  const s = text.trim();
  const m = LOCATION_TAIL.exec(s);
  if (!m) return { function: fn, file: s.split(' ')[0] ?? '', line: 0 };
  const line = Number(m[1]);
  return { function: fn, file: s.slice(0, m.index), line: Number.isFinite(line) ? line : 0 };
}

/** The state most of a group's goroutines are in (the first of equals). */
export function dominantState(states: Record<string, number>): string {
  let best = '';
  let n = -1;
  for (const [s, c] of Object.entries(states)) if (c > n) [best, n] = [s, c];
  return best;
}
