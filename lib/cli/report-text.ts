// A triage Report as terminal text: verdict first, then capacity, findings with their evidence,
// the replicas, what could not be read, and what to do.
import type { Report } from '../triage/index.ts';
import { alignColumns, poolerLines, replicaTableRows, restsOnSentence, sessionsSentence } from '../triage/index.ts';

const MAX_FINDINGS = 6;

export function renderReportText(r: Report): string {
  const out: string[] = [];
  const when = r.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  out.push(`LEAKHOUND  ${r.service ?? '(no service)'}  ${when}  (triage ${(r.elapsedMs / 1000).toFixed(1)} s of ${(r.deadlineMs / 1000).toFixed(0)} s)`);
  if (r.alert) {
    const value = r.alert.value !== null ? `, value ${r.alert.value}${r.alert.threshold !== null ? ` / threshold ${r.alert.threshold}` : ''}` : '';
    out.push(`Alert: ${r.alert.name} (${r.alert.source}, ${r.alert.state}${value})`);
  }
  out.push('', `VERDICT  ${r.verdict.headline}  [${r.verdict.confidence} confidence]`);
  if (r.verdict.restsOn) out.push(`Read     ${restsOnSentence(r.verdict.restsOn)}`);

  const c = r.capacity;
  if (c.maxConnections !== null || c.inUse !== null) {
    const parts = [
      c.inUse !== null ? `${c.inUse}/${c.available ?? c.maxConnections ?? '?'} connections in use${c.free !== null ? `, ${c.free} free` : ''}` : null,
      c.maxConnections !== null ? `max_connections ${c.maxConnections}` : null,
      c.full ? 'FULL' : null,
      c.growthPerMinute !== null ? `${c.growthPerMinute >= 0 ? '+' : ''}${c.growthPerMinute.toFixed(1)}/min` : null,
      c.minutesToExhaustion !== null && !c.full ? `full in ~${Math.round(c.minutesToExhaustion)} min` : null,
      c.elb504 !== null ? `${c.elb504} ELB 504s` : null,
    ].filter(Boolean);
    out.push('', `Capacity  ${parts.join(' · ')}`);
  }

  if (r.findings.length) {
    out.push('', 'Findings');
    r.findings.slice(0, MAX_FINDINGS).forEach((f, i) => {
      out.push(`  ${i + 1}. ${f.kind} x${f.count} [${f.confidence}] ${f.summary}`);
      for (const e of f.evidence) out.push(`       ${e.source}: ${e.text}`);
    });
    if (r.findings.length > MAX_FINDINGS) out.push(`  +${r.findings.length - MAX_FINDINGS} more`);
  }
  if (r.growth) {
    out.push('', `Growth over ${r.growth.afterSeconds} s: ${r.growth.goroutinesBefore} -> ${r.growth.goroutinesAfter} goroutines`);
    for (const g of r.growth.grew) out.push(`  +${g.delta} ${g.kind ?? ''} ${g.top}`.replace(/ +/g, ' '));
  }
  if (r.replicas.length) {
    out.push('', 'Replicas');
    for (const line of alignColumns(replicaTableRows(r, { address: true }))) out.push(`  ${line}`);
  }
  if (r.sessions) out.push('', `Sessions  ${sessionsSentence(r.sessions)}`);
  if (r.pooler) {
    out.push('', 'Pooler');
    for (const line of poolerLines(r.pooler)) out.push(`  ${line}`);
  }
  if (r.gaps.length) {
    out.push('', 'Could not read');
    for (const g of r.gaps) out.push(`  - ${g.source} ${g.target}: ${g.reason}${g.remedy ? ` (fix: ${g.remedy})` : ''}`);
  }
  if (r.actions.length) {
    out.push('', 'Recommended');
    r.actions.forEach((a, i) => out.push(`  ${i + 1}. ${a.text}`));
  }
  return out.join('\n') + '\n';
}
