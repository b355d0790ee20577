// Worker side of the Terminate button: after the fresh session read the click queued (a triage
// job with trigger `button` and scope `sessions`), ask for approval to end exactly the sessions
// that snapshot condemned. The request names each session by pid and start time, so a stale
// approval can never end a newer session that reused the pid.
import type { Service } from '../catalog/index.ts';
import type { TerminationTarget } from '../sessions/index.ts';
import type { Approval, Incident, Store } from '../store/index.ts';
import { plainMessage } from '../slack/index.ts';
import { describeSubject, renderApprovalRequest } from '../slack/index.ts';
import { code, mention } from '../slack/index.ts';
import type { IncidentPoster, ReplyTo } from '../slack/index.ts';

export interface TerminationRequestInput {
  service: Service;
  incident: Incident | null;
  requestedBy: string;
  /** The database id (catalog) the sessions are on. */
  database: string;
  sessions: TerminationTarget[];
  /** Where to say "nothing to end" when there is no incident thread. */
  replyTo: ReplyTo | null;
}

export async function requestTermination(
  deps: { store: Pick<Store, 'createApproval' | 'appendAudit'>; poster: IncidentPoster },
  input: TerminationRequestInput,
): Promise<Approval | null> {
  const { service, incident } = input;
  if (input.sessions.length === 0) {
    const note = plainMessage(`:large_green_circle: ${mention(input.requestedBy)}: no leaked sessions of ${code(service.name)} to end any more (the fresh read found none).`);
    await deps.store.appendAudit({ actor: input.requestedBy, action: 'terminate.requested', target: service.name, incidentId: incident?.id ?? null, result: 'nothing to terminate' });
    if (incident) await deps.poster.reply(incident, note);
    else if (input.replyTo) await deps.poster.ephemeral(input.replyTo.channel, input.replyTo.user, note);
    return null;
  }
  const approval = await deps.store.createApproval({
    incidentId: incident?.id ?? null,
    service: service.name,
    subject: { action: 'terminate', database: input.database, sessions: input.sessions },
    requestedBy: input.requestedBy,
    ttlMinutes: service.approvalTtlMinutes,
  });
  await deps.store.appendAudit({ actor: input.requestedBy, action: 'terminate.requested', target: describeSubject(approval.subject).target, incidentId: approval.incidentId, result: `ok: ${approval.id}` });
  const request = renderApprovalRequest({ approval, approvers: service.approvers, twoPersonRule: service.twoPersonRule });
  if (incident) await deps.poster.reply(incident, request);
  else await deps.poster.post(service.slackChannel, request);
  return approval;
}
