// The goroutine side of the page, bounded: groups of every replica merged, each tagged with the
// leak signature it matches and its culprit, ordered findings first (then by size, like pprof's
// `-traces`), only the first N in full. A 64 MiB dump holds hundreds of groups; the page must
// stay a few hundred kilobytes, so the tail is one line per group and then only a count.
import { culpritOf } from '../goroutines/index.ts';
import { canonicalFunction, isApplicationFunction } from '../goroutines/index.ts';
import { dominantState } from '../goroutines/index.ts';
import { mergeGroups, type Culprit, type Dump, type Frame, type StackGroup } from '../goroutines/index.ts';
import { signatureOf, type Signature } from '../goroutines/index.ts';
import type { PageLimits, PageReplica } from './model.ts';

export { dominantState };

export interface TaggedGroup {
  group: StackGroup;
  signature: Signature | null;
  culprit: Culprit | null;
}

export interface StackView {
  goroutines: number;
  truncated: boolean;
  formats: string[];
  shown: TaggedGroup[];
  /** Beyond `shown`: one line each. */
  summarised: TaggedGroup[];
  /** Beyond both: counted only. */
  hidden: { groups: number; goroutines: number };
  totalGroups: number;
}

export function stackView(replicas: readonly PageReplica[], limits: PageLimits): StackView {
  const dumps = replicas.map((r) => r.dump).filter((d): d is Dump => d !== null);
  const groups = dumps.length === 1 ? dumps[0]!.groups : mergeGroups(dumps.map((d) => d.groups));
  const tagged: TaggedGroup[] = groups.map((group) => {
    const signature = signatureOf(group);
    return { group, signature, culprit: signature ? culpritOf(group, signature).culprit : null };
  });
  // Leak signatures before victims before the rest; larger first within each.
  const rank = (t: TaggedGroup) => (t.signature ? (t.signature.role === 'leak' ? 0 : 1) : 2);
  tagged.sort((a, b) => rank(a) - rank(b) || b.group.count - a.group.count);
  const shown = tagged.slice(0, limits.groups);
  const summarised = tagged.slice(limits.groups, limits.groups + limits.summarisedGroups);
  const rest = tagged.slice(limits.groups + limits.summarisedGroups);
  return {
    goroutines: dumps.reduce((n, d) => n + d.goroutines, 0),
    truncated: dumps.some((d) => d.truncated),
    formats: [...new Set(dumps.map((d) => d.format))],
    shown,
    summarised,
    hidden: { groups: rest.length, goroutines: rest.reduce((n, t) => n + t.group.count, 0) },
    totalGroups: tagged.length,
  };
}

export type FrameRole = 'culprit' | 'signature' | 'app' | 'library';

export function frameRole(frame: Frame, t: TaggedGroup): FrameRole {
  const c = t.culprit;
  if (c && c.function && c.function === frame.function && (!c.file || (c.file === frame.file && c.line === frame.line))) return 'culprit';
  if (t.signature && canonicalFunction(frame.function) === t.signature.lead) return 'signature';
  return isApplicationFunction(frame.function) ? 'app' : 'library';
}

/** Consecutive frames that are not the application's fold into one run (pprof's elided runtime frames, made openable). */
export function foldRuns<T>(frames: readonly T[], folded: (f: T) => boolean): Array<{ folded: boolean; frames: T[] }> {
  const runs: Array<{ folded: boolean; frames: T[] }> = [];
  for (const f of frames) {
    const k = folded(f);
    const last = runs[runs.length - 1];
    if (last && last.folded === k) last.frames.push(f);
    else runs.push({ folded: k, frames: [f] });
  }
  return runs;
}
