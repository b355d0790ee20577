// Go before 1.27 prints no pprof labels in a debug=2 dump, only in debug=1's `# labels:` lines.
// A debug=2 dump read beside a debug=1 one of the same process gets the labels of the debug=1
// groups with the same stack, so it names the route its goroutines served, as debug=1 does,
// and keeps the wait ages only debug=2 has.
import { stackKey } from './grouping.ts';
import { labelKey, type Labels } from './labels.ts';
import type { Dump, StackGroup } from './model.ts';

export interface CarriedLabels {
  dump: Dump;
  /** debug=2 groups that were given labels. */
  labelled: number;
}

/**
 * The stack alone: functions without labels or ancestry (debug=1 prints neither), by the same
 * key function the readers use, so hidden runtime frames are already out of both.
 */
const bareStack = (g: StackGroup): string =>
  stackKey(
    g.frames.map((f) => f.function),
    [],
    '',
  );

/**
 * Returns `target` (debug=2) with labels from `source` (debug=1) on every unlabelled group whose
 * stack has labels in `source`. When one stack ran under several label sets, only the labels
 * all of them share are carried: which goroutine served which route is not in either dump.
 * Groups that already have labels (Go 1.27+) are left as they are.
 */
export function carryLabels(target: Dump, source: Pick<Dump, 'groups'>): CarriedLabels {
  const byStack = new Map<string, Labels[]>();
  for (const g of source.groups) {
    if (g.frames.length === 0) continue;
    const k = bareStack(g);
    const list = byStack.get(k);
    if (list) list.push(g.labels);
    else byStack.set(k, [g.labels]);
  }
  let labelled = 0;
  const groups = target.groups.map((g) => {
    if (g.frames.length === 0 || Object.keys(g.labels).length > 0) return g;
    const sets = byStack.get(bareStack(g));
    if (!sets) return g;
    const labels = shared(sets);
    if (Object.keys(labels).length === 0) return g;
    labelled++;
    const key = stackKey(
      g.frames.map((f) => f.function),
      g.ancestry.map((f) => f.function),
      labelKey(labels),
    );
    return { ...g, key, labels };
  });
  return { dump: labelled ? { ...target, groups } : target, labelled };
}

/** The label pairs every set has with the same value. */
function shared(sets: readonly Labels[]): Labels {
  const [first, ...rest] = sets;
  const out: Labels = {};
  for (const [k, v] of Object.entries(first ?? {})) if (rest.every((s) => s[k] === v)) out[k] = v;
  return out;
}
