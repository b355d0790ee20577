// Text rendering of an analysis for a person at 3 a.m.: the verdict first, then the evidence.
import { describeCulprit, formatLabels, shortFile, signatureByKind, type Dump, type DumpDiff, type Finding, type StackGroup } from '../goroutines/index.ts';
import { dominantState } from '../goroutines/index.ts';
import { inputName } from './output.ts';

export interface AnalyzedInput {
  source: string;
  dump: Dump;
}

export interface Analysis {
  inputs: AnalyzedInput[];
  /** All inputs merged: replicas of one service read as one. */
  merged: Dump;
  findings: Finding[];
  diff: DumpDiff | null;
}

const headline = (kind: Finding['kind']): string => signatureByKind(kind).title.toUpperCase();

const MAX_FINDINGS = 8;
const MAX_STACKS = 5;

export function renderAnalysisText(a: Analysis): string {
  const out: string[] = [];
  out.push(verdictLine(a.findings));
  if (a.findings.length > 0) {
    out.push('', 'Findings');
    a.findings.slice(0, MAX_FINDINGS).forEach((f, i) => {
      out.push(`  ${i + 1}. ${f.kind} x${f.count} [${f.confidence}] ${f.summary}`);
      if (f.culprit.evidence === 'creator' || f.culprit.evidence === 'none') {
        out.push('     culprit unknown: add pprof labels per route (see README) to name the caller');
      }
      out.push(`     fix: ${signatureByKind(f.kind).fix}`);
    });
    if (a.findings.length > MAX_FINDINGS) out.push(`  +${a.findings.length - MAX_FINDINGS} more`);
  }
  if (a.diff) {
    out.push('', `Growth since base: ${a.diff.goroutinesBefore} -> ${a.diff.goroutinesAfter} goroutines`);
    for (const g of a.diff.grew.slice(0, MAX_STACKS)) out.push(`  +${g.delta} (${g.before} -> ${g.after})${g.kind ? ` ${g.kind}` : ''}  ${stackLine(g.group)}`);
    if (a.diff.grew.length === 0) out.push('  no stack grew');
    for (const c of a.diff.caveats) out.push(`  note: ${c}`);
  }
  out.push('', 'Dumps');
  for (const { source, dump } of a.inputs) {
    const status = dump.truncated
      ? `TRUNCATED: ${dump.goroutines.toLocaleString('en-US')} goroutines read${dump.declaredTotal ? ` of ${dump.declaredTotal.toLocaleString('en-US')}` : ''}, the rest were cut off`
      : 'complete';
    out.push(`  ${inputName(source)}: ${dump.format}, ${dump.goroutines.toLocaleString('en-US')} goroutines in ${dump.groups.length} stacks, ${mb(dump.bytes)}, ${status}`);
    if (dump.preamble) out.push(`    ${dump.preamble.split('\n')[0]}`);
  }
  out.push('', 'Largest stacks');
  for (const g of a.merged.groups.slice(0, MAX_STACKS)) out.push(`  ${String(g.count).padStart(6)}  ${stackLine(g)}`);
  if (a.merged.groups.length > MAX_STACKS) out.push(`  +${a.merged.groups.length - MAX_STACKS} more stacks`);
  return out.join('\n') + '\n';
}

function verdictLine(findings: Finding[]): string {
  const top = findings[0];
  if (!top) return 'No leak signature found.';
  const who = describeCulprit(top.culprit);
  const rest = findings.length > 1 ? ` (+${findings.length - 1} more finding${findings.length > 2 ? 's' : ''})` : '';
  if (signatureByKind(top.kind).poolWait) {
    return `${headline(top.kind)}: ${top.count} callers waiting, e.g. in ${who}; no leaked goroutine visible, so the connections are held elsewhere (rows under context.Background(), idle sessions): check the database side [${top.confidence}]${rest}`;
  }
  return `${headline(top.kind)}: ${who}: ${top.count} ${top.count === 1 ? signatureByKind(top.kind).what.one : signatureByKind(top.kind).what.many} ${signatureByKind(top.kind).what.verb} [${top.confidence} confidence]${rest}`;
}

function stackLine(g: StackGroup): string {
  const state = dominantState(g.states);
  const wait = g.waitMinutes ? ` ${g.waitMinutes.min}/${g.waitMinutes.median}/${g.waitMinutes.max} min` : '';
  const path = g.frames
    .slice(0, 3)
    .map((f) => f.function)
    .join(' <- ');
  const at = g.frames[0] ? ` (${shortFile(g.frames[0].file)}:${g.frames[0].line})` : g.createdBy ? `created by ${g.createdBy.function}` : '';
  const labels = Object.keys(g.labels).length ? ` {${formatLabels(g.labels)}}` : '';
  return `[${state}${wait}] ${path}${at}${labels}`;
}

function mb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
