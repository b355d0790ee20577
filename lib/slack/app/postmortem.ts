// `/leak postmortem <service|incident>` and the "Draft postmortem" button on a resolved
// incident: recorded, then queued (the worker drafts it and posts it as a file in the thread).
import { findIncident } from '../../postmortem/index.ts';
import type { ButtonTarget } from '../render/action-ids.ts';
import type { Click, InteractionDeps } from './interactions.ts';
import { plainMessage, type SlackMessage } from '../render/block-kit.ts';
import { renderError } from '../render/messages.ts';
import { code } from '../render/mrkdwn.ts';

export async function queuePostmortem(deps: InteractionDeps, target: string | null, click: Click): Promise<SlackMessage> {
  if (!target) return renderError('Which incident? /leak postmortem <service> (its latest incident) or /leak postmortem <incident id>');
  // An incident id, or a service's latest incident (so the request is on that incident's record).
  const incident = await findIncident(deps.store, target).catch(() => null);
  const service = incident?.service ?? deps.catalog.services.find((s) => s.name === target)?.name ?? null;
  if (!service) {
    await deps.store.appendAudit({ actor: click.user, action: 'postmortem.requested', target: `service ${target.slice(0, 80)}`, incidentId: null, result: 'refused: no such service or incident' });
    return renderError(`No service or incident ${code(target)}.`);
  }
  await deps.queue.enqueue({ type: 'postmortem', target, service, requestedBy: click.user, respondTo: click.channel ? { channel: click.channel, user: click.user, threadTs: click.threadTs } : null });
  await deps.store.appendAudit({ actor: click.user, action: 'postmortem.requested', target: incident ? `incident ${incident.id}` : `service ${service}`, incidentId: incident?.id ?? null, result: 'queued' });
  return plainMessage(`Drafting the postmortem of ${code(incident?.id ?? service)}: it will be posted as a file in the incident's thread.`);
}

export async function onPostmortemClick(deps: InteractionDeps, target: ButtonTarget, click: Click): Promise<void> {
  if (target.kind !== 'incident') return;
  const answer = await queuePostmortem(deps, target.id, click);
  if (click.channel) await deps.notifier.send([{ to: 'ephemeral', channel: click.channel, user: click.user, ...(click.threadTs ? { threadTs: click.threadTs } : {}), message: answer }]);
}
