// findLeaks: turns stack groups into ranked findings, each naming a culprit with the most
// specific evidence available (labels > application frame > creator).
import { isApplicationFunction } from './functions.ts';
import { formatLabels, labelKey } from './labels.ts';
import type { Confidence, Culprit, Dump, Finding, FindingKind, Frame, StackGroup, WaitSpread } from './model.ts';
import { SIGNATURES, signatureOf, type Signature } from './signatures.ts';

const KIND_ORDER: readonly FindingKind[] = SIGNATURES.map((s) => s.kind);

export function findLeaks(dump: Pick<Dump, 'groups'>): Finding[] {
  const byCulprit = new Map<string, { sig: Signature; finding: Finding }>();
  for (const group of dump.groups) {
    const sig = signatureOf(group);
    if (!sig) continue;
    const { culprit, confidence } = culpritOf(group, sig);
    const proved = provedLeaked(group);
    // Culprits that name nothing (a library creator, no frame at all) are one finding per kind:
    // a goroutine pasted without its `created by` line is the same leak as its neighbours.
    const id = weak(culprit) ? `${sig.kind}\u0000?` : `${sig.kind}\u0000${culprit.function}\u0000${labelKey(culprit.labels)}`;
    const prev = byCulprit.get(id);
    if (prev) {
      const f = prev.finding;
      f.count += group.count;
      f.proved += proved;
      f.groupKeys.push(group.key);
      f.waitMinutes = mergeWait(f.waitMinutes, group.waitMinutes);
      if (culprit.evidence === 'creator' && f.culprit.evidence === 'none') {
        f.culprit = culprit;
        f.confidence = confidence;
      }
      if (proved > 0) f.confidence = 'high';
      continue;
    }
    byCulprit.set(id, {
      sig,
      finding: {
        kind: sig.kind,
        count: group.count,
        // The runtime proved these leaked: the kind is certain whoever the culprit is.
        confidence: proved > 0 ? 'high' : confidence,
        culprit,
        summary: '',
        waitMinutes: group.waitMinutes && { ...group.waitMinutes },
        proved,
        groupKeys: [group.key],
      },
    });
  }
  const findings = [...byCulprit.values()].map(({ sig, finding }) => ({ ...finding, summary: summarize(sig, finding) }));
  findings.sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || b.count - a.count || rank(a.confidence) - rank(b.confidence),
  );
  return findings;
}

const weak = (c: Culprit): boolean => c.evidence === 'none' || (c.evidence === 'creator' && !isApplicationFunction(c.function));

function provedLeaked(group: StackGroup): number {
  let n = 0;
  for (const [state, count] of Object.entries(group.states)) if (state.endsWith('(leaked)')) n += count;
  return n;
}

const rank = (c: Confidence): number => (c === 'high' ? 0 : c === 'medium' ? 1 : 2);

function firstApplicationFrame(frames: readonly Frame[]): Frame | null {
  for (const f of frames) if (isApplicationFunction(f.function)) return f;
  return null;
}

/** Picks the culprit of a group and says how sure we are of it. */
export function culpritOf(group: StackGroup, sig: Pick<Signature, 'role'>): { culprit: Culprit; confidence: Confidence } {
  const labels = group.labels;
  const hasLabels = Object.keys(labels).length > 0;
  // A leaked goroutine's own stack is library code; the code that opened the resource shows in
  // its ancestry (GODEBUG=tracebackancestors) or its creator. A victim's own stack shows the caller.
  const frame =
    sig.role === 'leak'
      ? (firstApplicationFrame(group.ancestry) ?? firstApplicationFrame(group.frames))
      : (firstApplicationFrame(group.frames) ?? firstApplicationFrame(group.ancestry));
  if (hasLabels) {
    return {
      culprit: { function: frame?.function ?? '', file: frame?.file ?? '', line: frame?.line ?? 0, labels, evidence: 'labels' },
      confidence: sig.role === 'leak' ? 'high' : 'medium',
    };
  }
  if (frame) {
    return {
      culprit: { ...frame, labels: {}, evidence: 'app-frame' },
      confidence: sig.role === 'leak' ? 'high' : 'medium',
    };
  }
  if (group.createdBy) {
    const app = isApplicationFunction(group.createdBy.function);
    return {
      culprit: { ...group.createdBy, labels: {}, evidence: 'creator' },
      confidence: app ? 'medium' : 'low',
    };
  }
  return { culprit: { function: '', file: '', line: 0, labels: {}, evidence: 'none' }, confidence: 'low' };
}

function mergeWait(a: WaitSpread | null, b: WaitSpread | null): WaitSpread | null {
  if (!a) return b && { ...b };
  if (!b) return a;
  return { min: Math.min(a.min, b.min), median: Math.max(a.median, b.median), max: Math.max(a.max, b.max) };
}

/** `main.(*api).transfer (main.go:120)`, or the labels, or what little is known. */
export function describeCulprit(c: Culprit): string {
  const where = c.function ? `${c.function}${c.file ? ` (${shortFile(c.file)}:${c.line})` : ''}` : '';
  switch (c.evidence) {
    case 'labels':
      return where ? `${formatLabels(c.labels)} in ${where}` : formatLabels(c.labels);
    case 'app-frame':
      return where;
    case 'creator':
      return isApplicationFunction(c.function) ? `code started by ${where}` : `unknown code (started by ${where})`;
    case 'none':
      return 'unknown code';
  }
}

export function shortFile(file: string): string {
  const parts = file.split('/');
  return parts.slice(-2).join('/');
}

function summarize(sig: Signature, f: Finding): string {
  const noun = f.count === 1 ? sig.what.one : sig.what.many;
  const who = describeCulprit(f.culprit);
  const wait = f.waitMinutes && f.waitMinutes.max > 0 ? `, up to ${f.waitMinutes.max} min` : '';
  const proved = f.proved > 0 && sig.kind !== 'goroutine-leak' ? ` (${f.proved === f.count ? 'all' : f.proved} proved leaked by the runtime)` : '';
  if (sig.kind === 'goroutine-leak') return `${f.count} ${noun} in ${who} ${sig.what.verb}`;
  if (sig.role === 'leak') return `${f.count} ${noun} opened by ${who} ${sig.what.verb}${wait}${proved}`;
  return `${f.count} ${noun} in ${who} ${sig.what.verb}${wait}${proved}`;
}
