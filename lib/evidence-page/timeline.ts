// The incident's timeline, from what was recorded: the alarm (the incident's first and last
// firing), the triage behind the verdict, every audited step (requests, approvals, refusals,
// the restart, the evidence), the readings of the verification and the alarm's resolution.
import type { EvidencePageInput } from './model.ts';

export interface TimelineEntry {
  at: string;
  actor: string;
  what: string;
  detail: string;
}

export function timelineOf(input: EvidencePageInput, max: number): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const inc = input.incident;
  if (inc) {
    out.push({ at: inc.firstSeen, actor: 'alarm', what: 'alarm fired, incident opened', detail: inc.id });
    if (inc.alarmCount > 1 && inc.lastSeen !== inc.firstSeen) out.push({ at: inc.lastSeen, actor: 'alarm', what: 'last firing', detail: `${inc.alarmCount} firings${inc.reopenCount ? `, reopened ${inc.reopenCount}×` : ''}` });
    if (inc.resolvedAt) out.push({ at: inc.resolvedAt, actor: 'alarm', what: 'alarm back to OK, incident resolved', detail: '' });
  } else if (input.report?.alert) {
    out.push({ at: input.report.alert.time, actor: 'alarm', what: `alarm ${input.report.alert.state}`, detail: input.report.alert.name });
  }
  const r = input.report;
  if (r) out.push({ at: r.createdAt, actor: 'leakhound', what: 'triage', detail: `${r.verdict.kind} (${r.verdict.confidence}), ${(r.elapsedMs / 1000).toFixed(1)} s` });
  for (const a of input.audit ?? []) out.push({ at: a.at, actor: a.actor, what: a.action, detail: [a.target, a.result].filter(Boolean).join(': ') });
  for (const x of input.readings ?? []) out.push({ at: x.at, actor: 'leakhound', what: `reading ${x.label}`, detail: describeReading(x.reading) });
  out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return out.length > max ? out.slice(out.length - max) : out;
}

export function describeReading(r: { connections: number | null; idleInTransaction: number | null; elb504: number | null }): string {
  const v = (n: number | null) => (n === null ? 'unread' : String(n));
  return `connections ${v(r.connections)}, idle in transaction ${v(r.idleInTransaction)}, ELB 504s ${v(r.elb504)}`;
}
