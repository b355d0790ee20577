// What each command and click does, without Bolt: read the store and the catalog, record the
// step in the audit log, enqueue the work (lib/jobs). What has to be said in Slack afterwards is
// handed to the Notifier as Notifications; the work itself is never awaited here.
//
// Approvals: a click counts only if `decideApproval` allows it (approver by id or user group,
// not the requester under the two-person rule, before expiry) AND the store's conditional
// `transition(requested → approved)` succeeds. Only that winner enqueues the restart job, so
// double clicks, two approvers at once and retried requests give exactly one.
import type { Catalog, Service } from '../../catalog/index.ts';
import { decideApproval, type ApprovalRefusal } from '../../remediation/index.ts';
import { METRICS, type Meter } from '../../lambda/index.ts';
import type { Approval, Incident, Store } from '../../store/index.ts';
import type { ServiceSubcommand } from './leak-command.ts';
import type { ButtonTarget } from '../render/action-ids.ts';
import { plainMessage, type SlackMessage } from '../render/block-kit.ts';
import {
  describeSubject,
  renderApprovalOutcome,
  renderApprovalRequest,
  renderApprovalStep,
  renderError,
  renderQueued,
  type ApprovalStepNote,
  type ApprovalView,
} from '../render/messages.ts';
import { channelMention, code, mention, slackDate } from '../render/mrkdwn.ts';
import type { JobInput, JobQueue, Notification, Notifier } from './notifier.ts';
import { SILENCE_ACTION, SILENCE_MINUTES, silenceResult } from './silence.ts';
import { errorMessage } from '../../errors/index.ts';

export interface InteractionDeps {
  store: Store;
  queue: JobQueue;
  notifier: Notifier;
  catalog: Catalog;
  isMember: (userId: string, usergroupId: string) => Promise<boolean>;
  now: () => number;
  /** Counts approvals requested and decided (Powertools Metrics in Lambda); default none. */
  meter?: Meter;
}

/** Who clicked, and where the clicked message is (to update it and to answer in its thread). */
export interface Click {
  /** Commands answer in their ack; buttons answer ephemerally through the queue. */
  source: 'command' | 'button';
  user: string;
  channel: string | null;
  messageTs: string | null;
  /** The thread the clicked message is in, if it is a reply. */
  threadTs: string | null;
  ephemeral: boolean;
}

/** Seconds during which a second Restart click on the same incident does not open a second request. */
export const REQUEST_DEDUPE_SECONDS = 30;

const findService = (catalog: Catalog, name: string): Service | null => catalog.services.find((s) => s.name === name) ?? null;

/** The newest open incident of a service, if any (commands answer into its thread). */
export async function openIncidentOf(store: Pick<Store, 'listOpenIncidents'>, service: string): Promise<Incident | null> {
  const open = (await store.listOpenIncidents()).filter((i) => i.service === service);
  return open.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))[0] ?? null;
}

async function notify(deps: InteractionDeps, notifications: Notification[]): Promise<void> {
  if (notifications.length) await deps.notifier.send(notifications);
}

const ephemeralTo = (click: Pick<Click, 'user' | 'channel' | 'threadTs'>, message: SlackMessage): Notification[] =>
  click.channel ? [{ to: 'ephemeral', channel: click.channel, user: click.user, ...(click.threadTs ? { threadTs: click.threadTs } : {}), message }] : [];

/** What a button names, for the audit log (ids only: the values were validated as ids). */
const targetLabel = (t: ButtonTarget): string => (t.kind === 'service' ? `service ${t.name}` : t.kind === 'incident' ? `incident ${t.id}` : `approval ${t.id}`);

/**
 * Incident or service named by a button (or a command), re-read from the store and the catalog.
 * A target that does not resolve (a forged or stale value, a service gone from the catalog) and,
 * with `open`, an incident that has been resolved since its message was posted are refused and
 * audited under `action`.
 */
async function resolveTarget(
  deps: InteractionDeps,
  target: ButtonTarget,
  audit: { action: string; actor: string; open?: boolean },
): Promise<{ service: Service; incident: Incident | null } | { error: string }> {
  const resolved = await lookUp(deps, target);
  if ('error' in resolved || !audit.open || resolved.incident?.state !== 'resolved') {
    if ('error' in resolved) {
      await deps.store.appendAudit({ actor: audit.actor, action: audit.action, target: targetLabel(target), incidentId: resolved.incidentId, result: `refused: ${resolved.error}` });
    }
    return resolved;
  }
  const incident = resolved.incident;
  await deps.store.appendAudit({ actor: audit.actor, action: audit.action, target: resolved.service.name, incidentId: incident.id, result: 'refused: the incident is resolved' });
  return {
    error: `this incident was resolved ${incident.resolvedAt ? `at ${slackDate(incident.resolvedAt, '{time}')} ` : ''}(the alarm is back to normal); to act anyway, use /leak ${audit.action.split('.')[0]} ${resolved.service.name}`,
  };
}

async function lookUp(deps: InteractionDeps, target: ButtonTarget): Promise<{ service: Service; incident: Incident | null } | { error: string; incidentId: string | null }> {
  if (target.kind === 'approval') return { error: 'that button does not name an incident', incidentId: null };
  if (target.kind === 'service') {
    const service = findService(deps.catalog, target.name);
    if (!service) return { error: `no service ${target.name} in the catalog`, incidentId: null };
    return { service, incident: await openIncidentOf(deps.store, service.name) };
  }
  const incident = await deps.store.getIncident(target.id);
  if (!incident) return { error: `incident ${target.id} is not in the store (expired?)`, incidentId: null };
  const service = findService(deps.catalog, incident.service);
  if (!service) return { error: `service ${incident.service} is no longer in the catalog`, incidentId: incident.id };
  return { service, incident };
}

// ---------------------------------------------------------------------------------------------
// Triage, re-run, terminate, silence

/** `/leak triage|sessions|dump <service>`, Re-run and Terminate: one triage job; returns the immediate answer. */
export async function queueTriage(
  deps: InteractionDeps,
  args: { service: Service; scope: 'full' | 'sessions' | 'dump'; user: string; channel: string; trigger: 'command' | 'button'; incident?: Incident | null },
): Promise<SlackMessage> {
  const incident = args.incident !== undefined ? args.incident : await openIncidentOf(deps.store, args.service.name);
  const job: JobInput = {
    type: 'triage',
    service: args.service.name,
    incidentId: incident?.id ?? null,
    trigger: args.trigger,
    requestedBy: args.user,
    scope: args.scope,
    respondTo: { channel: args.channel, user: args.user, threadTs: null },
  };
  await deps.queue.enqueue(job);
  await deps.store.appendAudit({ actor: args.user, action: `triage.${args.scope}.requested`, target: args.service.name, incidentId: incident?.id ?? null, result: 'queued' });
  return renderQueued(args.scope === 'full' ? 'triage' : args.scope === 'sessions' ? 'session read' : 'dump', args.service.name, incident ? 'thread' : 'here');
}

export async function onRerun(deps: InteractionDeps, target: ButtonTarget, click: Click): Promise<void> {
  const r = await resolveTarget(deps, target, { action: 'triage.full.requested', actor: click.user });
  if ('error' in r) return notify(deps, ephemeralTo(click, renderError(r.error)));
  await queueTriage(deps, { service: r.service, scope: 'full', trigger: 'button', user: click.user, channel: click.channel ?? r.service.slackChannel, incident: r.incident });
}

/**
 * Terminate: the request must name sessions exactly (pid + start time), which only a fresh
 * snapshot gives, so the click queues a sessions read (trigger `button`, scope `sessions`) and
 * the worker posts the approval request with `requestTermination` (see lib/worker/termination-request.ts).
 */
export async function onTerminate(deps: InteractionDeps, target: ButtonTarget, click: Click): Promise<void> {
  const r = await resolveTarget(deps, target, { action: 'terminate.requested', actor: click.user, open: true });
  if ('error' in r) return notify(deps, ephemeralTo(click, renderError(r.error)));
  if (!(await deps.store.claim(`request:terminate:${r.incident?.id ?? r.service.name}`, REQUEST_DEDUPE_SECONDS))) {
    return notify(deps, ephemeralTo(click, plainMessage(`A termination request for ${code(r.service.name)} is being prepared; approve it in the thread.`)));
  }
  await queueTriage(deps, { service: r.service, scope: 'sessions', trigger: 'button', user: click.user, channel: click.channel ?? r.service.slackChannel, incident: r.incident });
  await deps.store.appendAudit({ actor: click.user, action: 'terminate.requested', target: r.service.name, incidentId: r.incident?.id ?? null, result: 'reading sessions' });
  await notify(deps, ephemeralTo(click, plainMessage(`:hourglass_flowing_sand: Reading the sessions of ${code(r.service.name)} again to list the ones to end; the approval request follows.`)));
}

export async function onSilence(deps: InteractionDeps, target: ButtonTarget, click: Click): Promise<void> {
  const r = await resolveTarget(deps, target, { action: SILENCE_ACTION, actor: click.user });
  if ('error' in r) return notify(deps, ephemeralTo(click, renderError(r.error)));
  if (!r.incident) {
    await deps.store.appendAudit({ actor: click.user, action: SILENCE_ACTION, target: r.service.name, incidentId: null, result: 'refused: no open incident to silence' });
    return notify(deps, ephemeralTo(click, renderError('only an incident can be silenced')));
  }
  const until = new Date(deps.now() + SILENCE_MINUTES * 60_000);
  await deps.store.appendAudit({ actor: click.user, action: SILENCE_ACTION, target: r.service.name, incidentId: r.incident.id, result: silenceResult(until) });
  await notify(deps, [
    { to: 'thread', incidentId: r.incident.id, message: plainMessage(`:no_bell: ${mention(click.user)} silenced this incident until ${slackDate(until.toISOString(), '{time}')}: updates stay in this message, no new posts.`) },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Approvals

function viewOf(approval: Approval, service: Service): ApprovalView {
  return { approval, approvers: service.approvers, twoPersonRule: service.twoPersonRule };
}

/** Restart button or `/leak restart <service>`: an approval request, shown where approvers look. */
export async function requestRestart(deps: InteractionDeps, target: ButtonTarget, click: Click): Promise<SlackMessage | null> {
  const r = await resolveTarget(deps, target, { action: 'restart.requested', actor: click.user, open: true });
  if ('error' in r) return answer(deps, click, renderError(r.error));
  const { service, incident } = r;
  if (!service.restart) {
    await deps.store.appendAudit({ actor: click.user, action: 'restart.requested', target: service.name, incidentId: incident?.id ?? null, result: 'refused: no restart target' });
    return answer(deps, click, renderError(`${service.name} has no restart target in the catalog (restart: kubernetes, ecs or command)`));
  }
  if (!(await deps.store.claim(`request:restart:${incident?.id ?? service.name}`, REQUEST_DEDUPE_SECONDS))) {
    return answer(deps, click, plainMessage(`A restart of ${code(service.name)} was just requested; approve it in ${incident ? 'the incident thread' : 'the channel'}.`));
  }
  const approval = await deps.store.createApproval({
    incidentId: incident?.id ?? null,
    service: service.name,
    subject: { action: 'restart', target: service.restart },
    requestedBy: click.user,
    ttlMinutes: service.approvalTtlMinutes,
  });
  const d = describeSubject(approval.subject);
  await deps.store.appendAudit({ actor: click.user, action: 'restart.requested', target: d.target, incidentId: approval.incidentId, result: `ok: ${approval.id}` });
  deps.meter?.count(METRICS.approvals, 1, ['outcome', 'requested']);
  const request = renderApprovalRequest(viewOf(approval, service));
  const where: Notification = incident ? { to: 'thread', incidentId: incident.id, message: request } : { to: 'channel', channel: service.slackChannel, message: request };
  await notify(deps, [where]);
  return plainMessage(`:rotating_light: Restart of ${code(service.name)} requested; an approver must confirm${incident ? ' in the incident thread' : ` in ${channelMention(service.slackChannel)}`}.`);
}

/** Slash commands answer in their ack; clicks answer ephemerally through the queue. */
async function answer(deps: InteractionDeps, click: Click, message: SlackMessage): Promise<SlackMessage | null> {
  if (click.source === 'command') return message;
  await notify(deps, ephemeralTo(click, message));
  return null;
}

/** Where the steps of an approval are told: its incident's thread, else the request message's thread. */
function stepNote(approval: Approval, click: Click, message: SlackMessage): Notification[] {
  if (approval.incidentId) return [{ to: 'thread', incidentId: approval.incidentId, message }];
  if (click.channel && click.messageTs && !click.ephemeral) return [{ to: 'channel', channel: click.channel, threadTs: click.threadTs ?? click.messageTs, message }];
  return [];
}

function requestUpdate(approval: Approval, service: Service, click: Click): Notification[] {
  if (!click.channel || !click.messageTs || click.ephemeral) return [];
  return [{ to: 'update', channel: click.channel, ts: click.messageTs, message: renderApprovalOutcome(viewOf(approval, service)) }];
}

export type DecisionOutcome = { result: 'approved'; jobQueued: boolean } | { result: 'denied' } | { result: 'refused'; reason: ApprovalRefusal | 'unknown-request' };

/** Approve or Deny on a request; counted by its outcome (approved, denied, refused). */
export async function decide(deps: InteractionDeps, approvalId: string, choice: 'approve' | 'deny', click: Click): Promise<DecisionOutcome> {
  const outcome = await decideOnce(deps, approvalId, choice, click);
  deps.meter?.count(METRICS.approvals, 1, ['outcome', outcome.result]);
  return outcome;
}

async function decideOnce(deps: InteractionDeps, approvalId: string, choice: 'approve' | 'deny', click: Click): Promise<DecisionOutcome> {
  const approval = await deps.store.getApproval(approvalId);
  const service = approval ? findService(deps.catalog, approval.service) : null;
  if (!approval || !service) {
    await deps.store.appendAudit({ actor: click.user, action: `approval.${choice}`, target: approvalId, incidentId: approval?.incidentId ?? null, result: 'refused: unknown request' });
    await notify(deps, ephemeralTo(click, renderError(approval ? `service ${approval.service} is no longer in the catalog` : 'this request is not in the store any more')));
    return { result: 'refused', reason: 'unknown-request' };
  }
  const verb = approval.subject.action;
  const target = describeSubject(approval.subject).target;
  const view = viewOf(approval, service);
  const audit = (action: string, result: string, actor = click.user) => deps.store.appendAudit({ actor, action: `${verb}.${action}`, target, incidentId: approval.incidentId, result });

  // Deny: the requester may withdraw; otherwise the same approver list, without the two-person rule.
  const decision =
    choice === 'deny' && click.user === approval.requestedBy && approval.state === 'requested'
      ? ({ decision: 'allowed' } as const)
      : await decideApproval({
          request: approval,
          approver: click.user,
          approvers: service.approvers,
          isMemberOfUsergroup: deps.isMember,
          twoPersonRule: choice === 'approve' && service.twoPersonRule,
          now: deps.now(),
        });
  if (decision.decision === 'refused') return refuse(deps, approval, service, click, decision.reason, choice, audit);

  const to = choice === 'approve' ? 'approved' : 'denied';
  const moved = await deps.store.transition(approval.id, 'requested', to, click.user);
  if (!moved.ok) {
    const reason: ApprovalRefusal = moved.reason === 'expired' ? 'expired' : 'already-decided';
    return refuse(deps, 'approval' in moved ? moved.approval : approval, service, click, reason, choice, audit);
  }
  const now = moved.approval;
  if (to === 'denied') {
    await audit('denied', 'ok');
    await notify(deps, [...requestUpdate(now, service, click), ...stepNote(now, click, renderApprovalStep(viewOf(now, service), { kind: 'denied', by: click.user }))]);
    return { result: 'denied' };
  }

  await audit('approved', 'ok');
  let jobQueued = true;
  let final = now;
  try {
    await deps.queue.enqueue({ type: verb, approvalId: now.id, incidentId: now.incidentId, service: now.service });
  } catch (err) {
    jobQueued = false;
    const message = errorMessage(err);
    // Close the request so nobody believes it is running: approved → executing → failed.
    const exec = await deps.store.transition(now.id, 'approved', 'executing', 'leakhound', 'could not queue');
    const failed = exec.ok ? await deps.store.transition(now.id, 'executing', 'failed', 'leakhound', `could not queue the job: ${message}`) : exec;
    if (failed.ok) final = failed.approval;
    await audit('queued', `failed: ${message}`, 'leakhound');
  }
  const steps: ApprovalStepNote = jobQueued ? { kind: 'approved', by: click.user } : { kind: 'queue-failed', error: 'the job queue did not accept it' };
  await notify(deps, [...requestUpdate(final, service, click), ...stepNote(final, click, renderApprovalStep(view, steps))]);
  return { result: 'approved', jobQueued };
}

async function refuse(
  deps: InteractionDeps,
  approval: Approval,
  service: Service,
  click: Click,
  reason: ApprovalRefusal,
  choice: 'approve' | 'deny',
  audit: (action: string, result: string, actor?: string) => Promise<unknown>,
): Promise<DecisionOutcome> {
  await audit(`${choice}-refused`, `refused: ${reason}`);
  const view = viewOf(approval, service);
  const note = renderApprovalStep(view, { kind: 'refused', by: click.user, reason });
  const out: Notification[] = [...ephemeralTo(click, note)];
  // A late click on a decided request only tells the clicker; the thread already says who won.
  if (reason !== 'already-decided') out.push(...stepNote(approval, click, note));
  if (reason === 'expired' && approval.state === 'requested') {
    const expired = await deps.store.transition(approval.id, 'requested', 'expired', 'leakhound', 'not approved in time');
    if (expired.ok) {
      await audit('expired', 'ok', 'leakhound');
      out.push(...requestUpdate(expired.approval, service, click), ...stepNote(expired.approval, click, renderApprovalStep(viewOf(expired.approval, service), { kind: 'expired' })));
    }
  }
  await notify(deps, out);
  return { result: 'refused', reason };
}

export type { ServiceSubcommand };
