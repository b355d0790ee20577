// A triage Report as Block Kit. Pure: Report in, SlackMessage out, within every Block Kit limit
// whatever the Report holds (long lists end in "+N more"; nothing is ever rejected).
// The incident's top message is the summary (verdict, capacity, culprit, buttons); the details
// (every finding with its evidence, the replica table, gaps, all actions) go into the thread.
import { redact } from '../../redact/index.ts';
import { describeCulprit } from '../../goroutines/index.ts';
import type { Culprit } from '../../goroutines/index.ts';
import { formatAge } from '../../sessions/index.ts';
import { alignColumns, poolerLines, replicaTableRows, restsOnSentence, sessionsSentence } from '../../triage/index.ts';
import type { Action, Report, ReportFinding } from '../../triage/index.ts';
import { ACTIONS, encodeTarget, type ButtonTarget } from './action-ids.ts';
import {
  actions,
  button,
  context,
  divider,
  fields,
  header,
  incidentMetadata,
  message,
  section,
  type Button,
  type KnownBlock,
  type SlackMessage,
} from './block-kit.ts';
import { LIMITS, bold, code, codeBlock, escapeText, fitLines, plural, safe, slackDate } from './mrkdwn.ts';

export * from './messages.ts';

/** The incident a report belongs to, when there is one (buttons and metadata need its id). */
export interface IncidentRef {
  id: string;
  alarmCount?: number;
  firstSeen?: string;
  reopenCount?: number;
}

export interface ReportRenderOptions {
  incident: IncidentRef | null;
  /** Default true. Off for copies (ephemeral answers) that should not offer actions twice. */
  buttons?: boolean;
}

const SUMMARY_EVIDENCE = 4;
const DETAIL_EVIDENCE = 8;

/**
 * Every string of a Report with credentials scrubbed: labels, function names, errors and targets
 * come from dumps, drivers and alerts, and each field is rendered its own way (a header, inline
 * code, a table), so the scrubbing happens once, here, for all of them.
 */
function scrubbed<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(scrubbed) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubbed(v)])) as T;
  return value;
}

/** The incident's top-level message: what, how bad, who, and the buttons. */
export function renderIncidentSummary(raw: Report, opts: ReportRenderOptions): SlackMessage {
  const report = scrubbed(raw);
  const blocks: KnownBlock[] = [header(headerText(report)), alertContext(report, opts.incident)];
  const cap = capacityBlock(report);
  if (cap) blocks.push(cap);
  const top = report.findings[0];
  if (top) blocks.push(findingSection(top, 1, SUMMARY_EVIDENCE, true));
  else if (report.verdict.culprit) blocks.push(section(`${bold('Culprit')} ${culpritText(report.verdict.culprit)}`));
  if (report.findings.length > 1) blocks.push(context(`+${plural(report.findings.length - 1, 'more finding')} in the thread`));
  if (report.verdict.restsOn) blocks.push(context(`Read: ${safe(restsOnSentence(report.verdict.restsOn))}`));
  else if (report.gaps.length) blocks.push(context(`:warning: Could not read: ${safe(report.gaps.map((g) => `${g.source} ${g.target}`).join(', '))}`));
  const buttons = opts.buttons === false ? null : buttonsFor(report, opts.incident);
  if (buttons) blocks.push(buttons);
  return message(fallback(report), blocks, metadataFor(report, opts.incident));
}

/** The thread reply: every finding with its evidence, replicas, sessions, growth, gaps, actions. */
export function renderReportDetails(raw: Report, opts: ReportRenderOptions): SlackMessage {
  const report = scrubbed(raw);
  const blocks: KnownBlock[] = [section(`${bold('Details')} of the triage of ${code(report.service ?? 'no service')} (${(report.elapsedMs / 1000).toFixed(1)} s)`)];
  blocks.push(...detailBlocks(report));
  return message(`Details: ${fallback(report)}`, blocks, metadataFor(report, opts.incident));
}

/** Everything in one message: for answers outside an incident thread and for the console. */
export function renderReport(raw: Report, opts: ReportRenderOptions): SlackMessage {
  const report = scrubbed(raw);
  const blocks: KnownBlock[] = [header(headerText(report)), alertContext(report, opts.incident)];
  const cap = capacityBlock(report);
  if (cap) blocks.push(cap);
  blocks.push(...detailBlocks(report));
  const buttons = opts.buttons === false ? null : buttonsFor(report, opts.incident);
  if (buttons) blocks.push(buttons);
  return message(fallback(report), blocks, metadataFor(report, opts.incident));
}

// ---------------------------------------------------------------------------------------------

function detailBlocks(report: Report): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  report.findings.forEach((f, i) => blocks.push(findingSection(f, i + 1, DETAIL_EVIDENCE, i === 0)));
  if (!report.findings.length && report.verdict.culprit) blocks.push(section(`${bold('Culprit')} ${culpritText(report.verdict.culprit)}`));
  if (report.growth) blocks.push(growthSection(report.growth));
  if (report.replicas.length) blocks.push(replicaTable(report));
  if (report.sessions) blocks.push(sessionsSection(report.sessions));
  if (report.pooler) blocks.push(poolerSection(report.pooler));
  if (report.gaps.length) blocks.push(gapsSection(report));
  if (report.actions.length) blocks.push(divider(), actionsSection(report.actions));
  return blocks;
}

export function verdictEmoji(report: Report): string {
  switch (report.verdict.kind) {
    case 'resolved':
      return ':white_check_mark:';
    case 'no-leak-found':
      // Green only for a database that is not full: a full one with no leak found still needs eyes.
      return report.capacity.full ? ':warning:' : ':large_green_circle:';
    case 'unknown':
      return ':warning:';
    case 'unmapped-alert':
      return ':grey_question:';
    default:
      return report.capacity.full || report.verdict.confidence === 'high' ? ':red_circle:' : ':large_orange_circle:';
  }
}

function headerText(report: Report): string {
  // Header blocks are plain text: no escaping, and emoji codes render.
  return `${verdictEmoji(report)} ${report.service ?? 'Unknown service'}: ${report.verdict.headline || report.verdict.kind}`;
}

function fallback(report: Report): string {
  return safe(`${report.service ?? 'Unknown service'}: ${report.verdict.headline || report.verdict.kind}`);
}

function metadataFor(report: Report, incident: IncidentRef | null) {
  return incident ? incidentMetadata(incident.id, { report_id: report.id, service: report.service ?? '' }) : undefined;
}

function alertContext(report: Report, incident: IncidentRef | null): KnownBlock {
  const parts: string[] = [];
  if (report.alert) {
    const a = report.alert;
    const value = a.value !== null ? `, value ${a.value}${a.threshold !== null ? ` / ${a.threshold}` : ''}` : '';
    parts.push(`Alert ${code(a.name)} (${safe(a.source)}, ${safe(a.state)}${value})`);
  }
  if (incident) {
    const seen = incident.alarmCount && incident.alarmCount > 1 ? `, fired ${incident.alarmCount}×` : '';
    const since = incident.firstSeen ? ` since ${slackDate(incident.firstSeen)}` : '';
    parts.push(`Incident ${code(incident.id)}${since}${seen}`);
  }
  parts.push(`${safe(report.verdict.confidence)} confidence · triage ${(report.elapsedMs / 1000).toFixed(1)} s`);
  return context(...parts);
}

function capacityBlock(report: Report): KnownBlock | null {
  const c = report.capacity;
  const items: string[] = [];
  if (c.inUse !== null || c.maxConnections !== null) {
    const of = c.available ?? c.maxConnections;
    const used = `${c.inUse ?? '?'} / ${of ?? '?'} in use`;
    const extra = [c.full ? '*FULL*' : c.free !== null ? `${c.free} free` : null, c.maxConnections !== null && c.available !== c.maxConnections ? `max_connections ${c.maxConnections}` : null]
      .filter(Boolean)
      .join(' · ');
    items.push(`${bold('Connections')}\n${used}${extra ? ` · ${extra}` : ''}`);
  }
  if (c.growthPerMinute !== null) items.push(`${bold('Trend')}\n${c.growthPerMinute >= 0 ? '+' : ''}${c.growthPerMinute.toFixed(1)} per minute`);
  if (c.full) items.push(`${bold('Exhaustion')}\nfull now`);
  else if (c.minutesToExhaustion !== null) items.push(`${bold('Exhaustion')}\nfull in ~${formatMinutes(c.minutesToExhaustion)}`);
  if (c.elb504 !== null) items.push(`${bold('ELB 504s')}\n${c.elb504}`);
  if (report.sessions) {
    const s = report.sessions;
    items.push(`${bold('Idle in transaction')}\n${s.idleInTransaction}${s.oldestTransactionMs !== null ? ` (oldest ${formatAge(s.oldestTransactionMs)})` : ''}`);
  }
  return items.length ? fields(items) : null;
}

function formatMinutes(m: number): string {
  if (m < 1) return 'under a minute';
  if (m < 90) return `${Math.round(m)} min`;
  return `${(m / 60).toFixed(1)} h`;
}

function shortFile(file: string): string {
  const parts = file.split('/').filter(Boolean);
  return parts.slice(-2).join('/');
}

function culpritText(c: Culprit): string {
  const where = c.function ? code(c.function) : '';
  const at = c.file ? ` at ${code(`${shortFile(c.file)}:${c.line}`)}` : '';
  const labels = Object.entries(c.labels);
  const lbl = labels.length ? ` · labels ${code(labels.map(([k, v]) => `${k}=${v}`).join(' '))}` : '';
  if (!where) return safe(describeCulprit(c));
  return `${where}${at}${lbl}${c.evidence === 'creator' ? ' (named from the goroutine creator)' : ''}`;
}

function findingSection(f: ReportFinding, n: number, maxEvidence: number, lead: boolean): KnownBlock {
  const title = lead ? `${bold('Culprit')} ` : `${bold(`${n}.`)} `;
  const lines = [
    `${title}${f.culprit ? culpritText(f.culprit) : safe(f.summary)}`,
    `${code(f.kind)} ×${f.count} · ${safe(f.confidence)} confidence${f.waitMinutes ? ` · waiting ${f.waitMinutes.min}–${f.waitMinutes.max} min` : ''}`,
  ];
  if (f.culprit) lines.push(safe(f.summary));
  const evidence = f.evidence.map((e) => `• _${e.source}_: ${safe(e.text)}`);
  if (f.fingerprints.length) evidence.push(`• _last statement_: ${f.fingerprints.slice(0, 2).map(code).join(', ')}${f.fingerprints.length > 2 ? ` +${f.fingerprints.length - 2} more` : ''}`);
  const head = lines.join('\n');
  const shown = evidence.slice(0, maxEvidence);
  const body = fitLines(shown, LIMITS.sectionText - head.length - 1, undefined, evidence.length - shown.length);
  return section(body ? `${head}\n${body}` : head);
}

function growthSection(g: NonNullable<Report['growth']>): KnownBlock {
  const lines = g.grew.map((x) => `• +${x.delta} ${x.kind ? code(x.kind) : ''} ${code(x.top)}`);
  const head = `${bold('Growth')} over ${g.afterSeconds} s: ${g.goroutinesBefore} → ${g.goroutinesAfter} goroutines`;
  return section(lines.length ? `${head}\n${fitLines(lines, LIMITS.sectionText - head.length - 1)}` : head);
}

function replicaTable(report: Report): KnownBlock {
  const rows = replicaTableRows(report).map((row) => row.map((cell) => (cell.length > 40 ? `${cell.slice(0, 39)}…` : cell)));
  const lines = alignColumns(rows);
  const head = `${bold('Replicas')} (${report.replicas.length})`;
  const [title, ...body] = lines;
  // Keep the column titles; cut replica rows.
  return section(`${head}\n${codeBlock([title!, ...body], LIMITS.sectionText - head.length - 1, (n) => `+${n} more replicas`)}`);
}

function sessionsSection(s: NonNullable<Report['sessions']>): KnownBlock {
  const head = `${bold('Sessions')} ${sessionsSentence(s)}`;
  const lines = s.suspects.map((x) => `• ${x.count}× ${code(x.kind)} from ${code(x.app || '?')}, oldest ${formatAge(x.oldestMs)}${x.fingerprint ? `: ${code(x.fingerprint)}` : ''}`);
  return section(lines.length ? `${head}\n${fitLines(lines, LIMITS.sectionText - head.length - 1)}` : head);
}

function poolerSection(p: NonNullable<Report['pooler']>): KnownBlock {
  const head = bold('Pooler');
  return section(`${head}\n${fitLines(poolerLines(p).map((l) => `• ${safe(l)}`), LIMITS.sectionText - head.length - 1)}`);
}

function gapsSection(report: Report): KnownBlock {
  const lines = report.gaps.map((g) => `• ${code(`${g.source} ${g.target}`)}: ${safe(g.reason)}${g.remedy ? ` (fix: ${safe(g.remedy)})` : ''}`);
  const head = `:warning: ${bold('Could not read')}`;
  return section(`${head}\n${fitLines(lines, LIMITS.sectionText - head.length - 1)}`);
}

function actionsSection(list: readonly Action[]): KnownBlock {
  const head = bold('Recommended');
  return section(`${head}\n${fitLines(list.map((a, i) => `${i + 1}. ${safe(a.text)}`), LIMITS.sectionText - head.length - 1)}`);
}

/** Restart and Terminate only when the report recommends them; Re-run and Silence always. */
function buttonsFor(report: Report, incident: IncidentRef | null): KnownBlock | null {
  if (!report.service) return null;
  const target: ButtonTarget = incident ? { kind: 'incident', id: incident.id } : { kind: 'service', name: report.service };
  const value = encodeTarget(target);
  const svc = report.service;
  const list: Button[] = [];
  if (report.actions.some((a) => a.kind === 'restart')) {
    list.push(
      button({
        actionId: ACTIONS.restart,
        text: `Restart ${svc}`,
        value,
        style: 'danger',
        confirm: {
          title: `Request a restart of ${svc}?`,
          text: `This asks an approver to restart ${escapeText(svc)}. Evidence is saved first; every connection it holds is released.`,
          confirm: 'Request restart',
          deny: 'Cancel',
        },
      }),
    );
  }
  const terminate = report.actions.find((a) => a.kind === 'terminate-sessions');
  const n = terminate?.sessionIds?.length ?? 0;
  if (terminate && n > 0) {
    list.push(
      button({
        actionId: ACTIONS.terminate,
        text: `Terminate ${plural(n, 'leaked session')}`,
        value,
        style: 'danger',
        confirm: {
          title: `Terminate ${plural(n, 'session')}?`,
          text: `This asks an approver to end ${plural(n, 'database session')} of ${escapeText(svc)} that the triage found leaked. Each is re-checked before it is ended.`,
          confirm: 'Request termination',
          deny: 'Cancel',
        },
      }),
    );
  }
  list.push(button({ actionId: ACTIONS.rerun, text: 'Re-run triage', value }));
  if (incident) list.push(button({ actionId: ACTIONS.silence, text: 'Silence 1 h', value }));
  return actions('leak_incident_actions', list);
}
