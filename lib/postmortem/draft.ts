// The postmortem draft: a Markdown document a person edits into the final one. Pure: the
// incident, its audit log, the Report saved as evidence and the names of the evidence files go
// in; text comes out, every line of it through lib/redact (the audit log quotes executors and
// drivers, the Report quotes labels and error messages). Query text never appears: only the
// fingerprints the Report already carries, redacted again.
import { describeCulprit, isFindingKind, signatureByKind } from '../goroutines/index.ts';
import { redact } from '../redact/index.ts';
import type { AuditEntry, Incident } from '../store/index.ts';
import type { Report } from '../triage/index.ts';
import { followUpsFor } from './follow-ups.ts';

export interface PostmortemInput {
  incident: Incident;
  audit: readonly AuditEntry[];
  /** report.json from the evidence (the triage behind the restart), or the latest triage. */
  report: Report | null;
  /** Evidence saved for the incident, with where it is. */
  evidence: readonly { name: string; location: string }[];
  /** For "ongoing" durations. */
  now: number;
}

export interface Postmortem {
  title: string;
  markdown: string;
}

/** Markdown-safe one-liner: redacted, no newlines, no pipes breaking a table. */
const cell = (s: string) => redact(s).replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|').slice(0, 400);
const who = (actor: string) => (actor === 'leakhound' ? 'Leakhound' : /^[UW][A-Z0-9]+$/.test(actor) ? `@${actor}` : actor);
const utc = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  return minutes % 60 ? `${h} h ${minutes % 60} min` : `${h} h`;
}

/** What an audit action reads like in a timeline. */
const ACTIONS: Record<string, string> = {
  'restart.requested': 'requested a restart',
  'restart.approved': 'approved the restart',
  'restart.denied': 'denied the restart',
  'restart.approve-refused': 'tried to approve the restart',
  'triage.posted': 'posted the triage',
  'restart.started': 'started the restart',
  'restart.completed': 'completed the restart',
  'restart.failed': 'restart failed',
  'evidence.saved': 'saved the evidence',
  'terminate.requested': 'requested session termination',
  'terminate.approved': 'approved session termination',
  'terminate.completed': 'terminated the sessions',
  'triage.full.requested': 'asked for a new triage',
  'incident.silenced': 'silenced the incident',
  'postmortem.requested': 'asked for this postmortem draft',
  'postmortem.drafted': 'drafted the postmortem',
};

/** An audit action in words: the table above, else `verification.pass` → "verification: pass". */
const actionText = (action: string): string => ACTIONS[action] ?? action.replace('.', ': ').replace(/[.-]/g, ' ');

interface Row {
  at: string;
  who: string;
  what: string;
}

function timeline(input: PostmortemInput): Row[] {
  const { incident, report } = input;
  const rows: Row[] = [{ at: incident.firstSeen, who: 'alarm', what: `${incident.kind} fired for ${incident.service}` }];
  // The Report kept as evidence is the one taken just before the restart (the triage posted at
  // the alarm is in the audit log as triage.posted).
  if (report) rows.push({ at: report.createdAt, who: 'Leakhound', what: `evidence triage before the remedy: ${report.verdict.headline}` });
  for (const e of input.audit) {
    const verb = actionText(e.action);
    const refused = e.result.startsWith('refused');
    const said = refused || e.action.startsWith('verification') || e.action.endsWith('failed') || e.action === 'triage.posted';
    rows.push({ at: e.at, who: who(e.actor), what: `${verb}${e.target && e.action !== 'triage.posted' ? ` (${e.target})` : ''}${said ? `: ${e.result}` : ''}` });
  }
  if (incident.reopenCount > 0) rows.push({ at: incident.lastSeen, who: 'alarm', what: `fired again (${incident.reopenCount} reopening${incident.reopenCount === 1 ? '' : 's'})` });
  if (incident.resolvedAt) rows.push({ at: incident.resolvedAt, who: 'alarm', what: 'back to OK: incident resolved' });
  return rows.sort((a, b) => a.at.localeCompare(b.at));
}

export function draftPostmortem(input: PostmortemInput): Postmortem {
  const { incident, report, audit } = input;
  const end = incident.resolvedAt ? Date.parse(incident.resolvedAt) : input.now;
  const duration = formatDuration(end - Date.parse(incident.firstSeen));
  // What was posted at the alarm (labels and all, from debug=1 dumps) reads best; the Report kept
  // as evidence (debug=2 before the restart) backs the root cause below.
  const posted = [...audit].reverse().find((e) => e.action === 'triage.posted')?.result ?? null;
  const headline = posted ?? report?.verdict.headline ?? 'no triage Report was saved for this incident';
  const kind = report?.verdict.kind;
  const what = kind === undefined ? incident.kind : isFindingKind(kind) ? signatureByKind(kind).title : kind.replace(/-/g, ' ');
  const title = `Postmortem draft: ${incident.service} — ${what} (${incident.firstSeen.slice(0, 10)})`;
  const restarted = audit.some((e) => e.action === 'restart.completed');
  const verification = [...audit].reverse().find((e) => e.action.startsWith('verification.'));
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);

  push(`# ${cell(title)}`, '', `_Draft generated by Leakhound at ${utc(new Date(input.now).toISOString())} from incident \`${cell(incident.id)}\`: edit before publishing._`, '');

  push('## Summary', '');
  push(
    `${cell(incident.service)} ${incident.state === 'resolved' ? 'had' : 'has'} a database connection leak for ${duration}${incident.state === 'resolved' ? '' : ' (ongoing)'}. ` +
      `Leakhound's verdict: **${cell(headline)}**. ` +
      (restarted ? `It was restarted after approval${verification ? `; the verification said: ${cell(verification.result)}` : ''}. ` : 'No restart was recorded. ') +
      (incident.resolvedAt ? `The alarm went back to OK at ${utc(incident.resolvedAt)}.` : 'The alarm has not gone back to OK.'),
    '',
  );

  push('## Timeline', '', '| Time (UTC) | Who | What |', '|---|---|---|');
  for (const r of timeline(input)) push(`| ${utc(r.at).replace(' UTC', '')} | ${cell(r.who)} | ${cell(r.what)} |`);
  push('');

  push('## Impact', '');
  push(`- Duration: ${duration} (alarm ${utc(incident.firstSeen)} → ${incident.resolvedAt ? utc(incident.resolvedAt) : 'ongoing'}); the alarm fired ${incident.alarmCount} time${incident.alarmCount === 1 ? '' : 's'}${incident.reopenCount ? `, reopened ${incident.reopenCount}×` : ''}.`);
  const cap = report?.capacity;
  if (cap && cap.inUse !== null) {
    push(`- Peak connections seen: ${cap.inUse}${cap.available !== null ? ` of ${cap.available} available` : ''}${cap.maxConnections !== null ? ` (max_connections ${cap.maxConnections})` : ''}${cap.full ? ' — the database was full' : ''}.`);
  } else push('- Peak connections: not read.');
  if (report?.sessions) push(`- Sessions of the service: ${report.sessions.ofService}, ${report.sessions.idleInTransaction} idle in a transaction${report.sessions.oldestTransactionMs !== null ? `, the oldest open for ${formatDuration(report.sessions.oldestTransactionMs)}` : ''}.`);
  push(cap && cap.elb504 !== null ? `- Load balancer 504s in the metrics window: ${cap.elb504}.` : '- Load balancer 504s: no metrics were read (no load balancer in the catalog, or no CloudWatch access).');
  push('');

  push('## Root cause', '');
  if (report) {
    if (posted && posted !== report.verdict.headline) push(`- Verdict posted at the alarm: ${cell(posted)}.`);
    push(`- Verdict of the evidence taken before the remedy: ${cell(report.verdict.headline)} (confidence ${report.verdict.confidence}).`);
    const top = report.findings[0];
    const culprit = report.verdict.culprit ?? top?.culprit ?? null;
    if (culprit) push(`- Culprit: \`${cell(describeCulprit(culprit))}\`${culprit.evidence === 'labels' ? ' (named by the pprof labels of the leaked goroutines)' : ''}.`);
    const verdictKind = report.verdict.kind;
    if (isFindingKind(verdictKind)) push(`- Signature: ${signatureByKind(verdictKind).title}: goroutines parked in \`${signatureByKind(verdictKind).lead}\`.`);
    else push(`- Signature: ${verdictKind} (seen on the database side).`);
    const evidence = report.findings.slice(0, 3).flatMap((f) => f.evidence.slice(0, 4).map((e) => `  - ${cell(e.text)}`));
    if (evidence.length) push('- Evidence:', ...evidence);
    const fingerprints = [...new Set(report.findings.flatMap((f) => f.fingerprints))].slice(0, 5);
    if (fingerprints.length) push('- Last statements of the leaked sessions (fingerprints, literals removed):', ...fingerprints.map((f) => `  - \`${cell(f)}\``));
  } else push('- No Report was saved: the root cause is for the team to fill in.');
  push('');

  push('## Remediation taken', '');
  const remedies = audit.filter((e) => /^(restart|terminate|verification)\./.test(e.action) && !e.action.endsWith('.requested'));
  if (remedies.length) for (const e of remedies) push(`- ${utc(e.at)}: ${cell(who(e.actor))} ${cell(actionText(e.action))} — ${cell(e.result)}`);
  else push('- None recorded by Leakhound.');
  push('');

  push('## Follow-ups', '');
  followUpsFor(report).forEach((f, i) => push(`${i + 1}. [ ] ${redact(f)}`));
  push('');

  if (input.evidence.length) {
    push('## Evidence', '');
    for (const e of input.evidence) push(`- \`${cell(e.name)}\`: ${cell(e.location)}`);
    push('');
  }
  return { title: redact(title), markdown: lines.join('\n') };
}
