// Every message that is not a Report: triage progress, resolved, the approval request and its
// outcome, thread notes for each approval step, and the /leak answers (help, status, unknown,
// queued). Pure, like report.ts, and within the same limits.
import { redact, redactDeep } from '../../redact/index.ts';
import { describeRestartTarget, type Approvers } from '../../catalog/index.ts';
import type { Approval, ApprovalSubject, Incident } from '../../store/index.ts';
import type { ApprovalRefusal } from '../../remediation/index.ts';
import type { Progress } from '../../triage/index.ts';
import { formatAge } from '../../sessions/index.ts';
import { ACTIONS, encodeTarget } from './action-ids.ts';
import { actions, button, context, header, incidentMetadata, message, mrkdwnToPlain, plainMessage, section, type KnownBlock, type SlackMessage } from './block-kit.ts';
import { LIMITS, bold, channelMention, code, fitLines, mention, plural, safe, slackDate, usergroupMention } from './mrkdwn.ts';

// ---------------------------------------------------------------------------------------------
// Triage progress and resolution (the incident's top message, updated in place)

export interface ProgressView {
  service: string;
  incidentId: string | null;
  alertName?: string | null;
  /** The latest step per stage, in the order they started. */
  steps: readonly Progress[];
}

export function renderProgress(raw: ProgressView): SlackMessage {
  const view = redactDeep(raw);
  const lines = view.steps.length
    ? view.steps.map((p) => `${p.done ? ':white_check_mark:' : ':hourglass_flowing_sand:'} ${safe(p.text)}${p.done ? '' : '…'}`)
    : [':hourglass_flowing_sand: starting…'];
  const blocks: KnownBlock[] = [
    header(`:mag: ${view.service}: triage running`),
    section(fitLines(lines, LIMITS.sectionText)),
  ];
  const ctx = [view.alertName ? `Alert ${code(view.alertName)}` : '', view.incidentId ? `Incident ${code(view.incidentId)}` : ''];
  if (ctx.some(Boolean)) blocks.push(context(...ctx));
  const summary = view.steps.filter((p) => !p.done).map((p) => p.text).join(' · ') || 'starting';
  return message(safe(`${view.service}: triage running (${summary})`), blocks, view.incidentId ? incidentMetadata(view.incidentId, { service: view.service }) : undefined);
}

export interface ResolvedView {
  incident: Pick<Incident, 'id' | 'service' | 'firstSeen' | 'resolvedAt' | 'alarmCount' | 'reopenCount'>;
  alertName?: string | null;
  /** The last verdict, kept visible so the channel still says what happened. */
  lastHeadline?: string | null;
}

export function renderResolved(raw: ResolvedView): SlackMessage {
  const view = redactDeep(raw);
  const i = view.incident;
  const openFor = i.resolvedAt ? formatAge(Date.parse(i.resolvedAt) - Date.parse(i.firstSeen)) : null;
  const blocks: KnownBlock[] = [
    header(`:white_check_mark: ${i.service}: resolved`),
    section(
      [
        `${view.alertName ? `${code(view.alertName)} is` : 'The alarm is'} back to normal${i.resolvedAt ? ` since ${slackDate(i.resolvedAt)}` : ''}${openFor ? `, after ${openFor}` : ''}.`,
        view.lastHeadline ? `Last verdict: ${safe(view.lastHeadline)}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    ),
    context(`Incident ${code(i.id)}`, `fired ${plural(i.alarmCount, 'time')}${i.reopenCount ? `, reopened ${i.reopenCount}×` : ''}`, 'the thread keeps the evidence'),
    // Once it is over, the write-up: a Markdown draft posted as a file in the thread.
    actions('leak_resolved', [button({ actionId: ACTIONS.postmortem, text: 'Draft postmortem', value: encodeTarget({ kind: 'incident', id: i.id }) })]),
  ];
  return message(safe(`${i.service}: resolved`), blocks, incidentMetadata(i.id, { service: i.service, state: 'resolved' }));
}

// ---------------------------------------------------------------------------------------------
// Approvals

export function describeSubject(s: ApprovalSubject): { verb: string; noun: string; target: string } {
  return s.action === 'restart'
    ? { verb: 'restart', noun: 'restart', target: describeRestartTarget(s.target) }
    : { verb: 'terminate', noun: 'session termination', target: `${plural(s.sessions.length, 'session')} on ${s.database}` };
}

export interface ApprovalView {
  approval: Pick<Approval, 'id' | 'incidentId' | 'service' | 'subject' | 'requestedBy' | 'requestedAt' | 'expiresAt' | 'state' | 'history'>;
  approvers: Approvers;
  twoPersonRule: boolean;
}

function approverList(a: Approvers): string {
  const who = [...a.users.map(mention), ...(a.usergroup ? [usergroupMention(a.usergroup)] : [])];
  if (!who.length) return 'nobody (no approvers in the catalog)';
  const shown = who.slice(0, 20);
  return shown.join(', ') + (who.length > shown.length ? ` +${who.length - shown.length} more` : '');
}

function requestLines(view: ApprovalView): string[] {
  const { approval: a } = view;
  const d = describeSubject(a.subject);
  return [
    `${bold(`${cap(d.noun)} requested`)} by ${mention(a.requestedBy)} at ${slackDate(a.requestedAt)}`,
    `${bold('Target')} ${code(d.target)} (service ${code(a.service)})`,
    a.incidentId ? `${bold('Incident')} ${code(a.incidentId)}` : '',
  ].filter(Boolean);
}

/** The request with Approve / Deny. Button values are the approval id only. */
export function renderApprovalRequest(raw: ApprovalView): SlackMessage {
  const view = redactDeep(raw);
  const { approval: a } = view;
  const d = describeSubject(a.subject);
  const rule = view.twoPersonRule ? ' (not the requester)' : '';
  const lines = [...requestLines(view), `Needs one approval from ${approverList(view.approvers)}${rule} before ${slackDate(a.expiresAt, '{time}')}.`];
  const value = encodeTarget({ kind: 'approval', id: a.id });
  const blocks: KnownBlock[] = [
    section(`:rotating_light: ${lines.join('\n')}`),
    actions('leak_approval', [
      button({
        actionId: ACTIONS.approve,
        text: 'Approve',
        value,
        style: 'primary',
        confirm: { title: `Approve the ${d.noun}?`, text: `${cap(d.verb)} ${code(d.target)} now.`, confirm: 'Approve', deny: 'Cancel' },
      }),
      button({ actionId: ACTIONS.deny, text: 'Deny', value }),
    ]),
  ];
  return message(mrkdwnToPlain(`${cap(d.noun)} of ${a.service} requested by ${mention(a.requestedBy)}: needs approval`), blocks, approvalMetadata(view));
}

/** The request message once decided: the same facts, the outcome instead of the buttons. */
export function renderApprovalOutcome(raw: ApprovalView): SlackMessage {
  const view = redactDeep(raw);
  const { approval: a } = view;
  const last = a.history[a.history.length - 1];
  const by = last ? `${mention(last.actor)} at ${slackDate(last.at)}` : '';
  const note = last?.note ? `: ${safe(last.note)}` : '';
  const status: Record<Approval['state'], string> = {
    requested: `:hourglass_flowing_sand: Waiting for approval until ${slackDate(a.expiresAt, '{time}')}`,
    approved: `:white_check_mark: Approved by ${by}; queued`,
    denied: `:no_entry_sign: Denied by ${by}${note}`,
    expired: `:hourglass: Expired at ${slackDate(a.expiresAt, '{time}')} without approval`,
    executing: `:gear: Running (approved by ${approvedBy(view) ?? '?'})`,
    done: `:white_check_mark: Done (approved by ${approvedBy(view) ?? '?'})${note}`,
    failed: `:x: Failed${note}`,
  };
  const blocks: KnownBlock[] = [section(requestLines(view).join('\n')), context(status[a.state])];
  return message(mrkdwnToPlain(`${cap(describeSubject(a.subject).noun)} of ${a.service}: ${a.state}`), blocks, approvalMetadata(view));
}

function approvedBy(view: ApprovalView): string | null {
  const step = view.approval.history.find((h) => h.to === 'approved');
  return step ? mention(step.actor) : null;
}

function approvalMetadata(view: ApprovalView) {
  const a = view.approval;
  return incidentMetadata(a.incidentId ?? '', { approval_id: a.id, service: a.service, state: a.state });
}

export type ApprovalStepNote =
  | { kind: 'requested' }
  | { kind: 'approved'; by: string }
  | { kind: 'denied'; by: string }
  | { kind: 'refused'; by: string; reason: ApprovalRefusal | 'unknown-request' | 'no-target' }
  | { kind: 'expired' }
  | { kind: 'queue-failed'; error: string };

const REFUSALS: Record<ApprovalRefusal | 'unknown-request' | 'no-target', string> = {
  'not-an-approver': 'is not an approver for this service',
  'self-approval': 'requested it and cannot approve it too (two-person rule)',
  expired: 'was too late: the request has expired',
  'already-decided': 'was too late: the request was already decided',
  'unknown-request': 'clicked a request Leakhound does not know (expired from the store?)',
  'no-target': 'asked for a restart, but the service has no restart target in the catalog',
};

/** One line in the thread per approval step (the audit log holds the same). */
export function renderApprovalStep(rawView: ApprovalView, rawStep: ApprovalStepNote): SlackMessage {
  const view = redactDeep(rawView);
  const step = redactDeep(rawStep);
  const d = describeSubject(view.approval.subject);
  const what = `the ${d.noun} of ${code(view.approval.service)} (${code(d.target)})`;
  const text: Record<ApprovalStepNote['kind'], () => string> = {
    requested: () => `:rotating_light: ${mention(view.approval.requestedBy)} requested ${what}.`,
    approved: () => `:white_check_mark: ${mention((step as { by: string }).by)} approved ${what}. ${cap(d.verb)} queued.`,
    denied: () => `:no_entry_sign: ${mention((step as { by: string }).by)} denied ${what}.`,
    refused: () => {
      const s = step as Extract<ApprovalStepNote, { kind: 'refused' }>;
      return `:no_entry: ${mention(s.by)} ${REFUSALS[s.reason]}; ${what} was not approved by this click.`;
    },
    expired: () => `:hourglass: The request for ${what} expired without approval.`,
    'queue-failed': () => `:x: Approved, but the ${d.verb} job could not be queued: ${safe((step as { error: string }).error)}. Request again.`,
  };
  return plainMessage(text[step.kind](), incidentMetadata(view.approval.incidentId ?? '', { approval_id: view.approval.id }));
}

// ---------------------------------------------------------------------------------------------
// /leak answers (ephemeral)

export const SUBCOMMANDS = ['triage', 'sessions', 'dump', 'restart', 'postmortem', 'evidence', 'status', 'help'] as const;

const USAGE = [
  `${code('/leak triage <service>')}: sessions, dumps and metrics under one deadline; names the culprit`,
  `${code('/leak sessions <service>')}: who holds the database connections, for how long`,
  `${code('/leak dump <service>')}: goroutine dumps of every replica, leak signatures`,
  `${code('/leak restart <service>')}: ask for a restart (a second approver must agree)`,
  `${code('/leak postmortem <service|incident>')}: a Markdown postmortem draft of the latest (or named) incident, as a file in its thread`,
  `${code('/leak evidence <incident>')}: a new link to the incident's evidence page`,
  `${code('/leak status')}: open incidents`,
  `${code('/leak help')}: this`,
];

function serviceList(services: readonly string[]): string {
  if (!services.length) return '_none: the catalog is empty_';
  return fitLines(services.map(code), 1500, (n) => `+${n} more`).replace(/\n/g, ', ');
}

export function renderHelp(services: readonly string[]): SlackMessage {
  return message('Leakhound: /leak triage|sessions|dump|restart <service>, status, help', [
    section(`${bold('Leakhound')} finds the Go code leaking database connections.\n${USAGE.join('\n')}`),
    section(`${bold('Services')} ${serviceList(services)}`),
  ]);
}

export function renderUnknownSubcommand(given: string, services: readonly string[]): SlackMessage {
  const what = given ? `Unknown subcommand ${code(redact(given))}.` : 'Which subcommand?';
  return message(safe(`${what} Try /leak help`), [section(`${what} Try one of:\n${USAGE.join('\n')}`), section(`${bold('Services')} ${serviceList(services)}`)]);
}

export function renderUnknownService(subcommand: string, given: string | null, services: readonly string[]): SlackMessage {
  // The text is echoed back: someone pasting a token by mistake must not see it posted again.
  const what = given ? `No service ${code(redact(given))} in the catalog.` : `${code(`/leak ${subcommand}`)} needs a service.`;
  return message(mrkdwnToPlain(`${what} Known: ${services.join(', ')}`), [section(`${what} ${bold('Known services')}: ${serviceList(services)}`)]);
}

export function renderStatus(raw: readonly Pick<Incident, 'id' | 'service' | 'kind' | 'firstSeen' | 'alarmCount' | 'thread'>[]): SlackMessage {
  const open = redactDeep(raw);
  if (!open.length) return plainMessage(':large_green_circle: No open incidents.');
  const lines = open.map((i) => `• ${code(i.service)} ${code(i.kind)} since ${slackDate(i.firstSeen)}, fired ${plural(i.alarmCount, 'time')}${i.thread ? ` in ${channelMention(i.thread.channel)}` : ''} (${code(i.id)})`);
  return message(`${plural(open.length, 'open incident')}`, [section(`${bold(`${plural(open.length, 'open incident')}`)}\n${fitLines(lines, LIMITS.sectionText - 40, (n) => `+${n} more`)}`)]);
}

/** The immediate answer to a command whose work was queued. */
export function renderQueued(what: string, rawService: string, where: 'thread' | 'here'): SlackMessage {
  const service = redact(rawService);
  const dest = where === 'thread' ? 'the results go to the open incident thread' : 'the results will appear here';
  return plainMessage(`:hourglass_flowing_sand: ${cap(what)} of ${code(service)} queued; ${dest}.`);
}

export function renderError(text: string): SlackMessage {
  return plainMessage(`:x: ${safe(text)}`);
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
