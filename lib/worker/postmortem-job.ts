// The worker's postmortem job: draft it, save it beside the evidence, post it as a Markdown file
// in the incident's thread (files.getUploadURLExternal + completeUploadExternal, through the
// sink's filesUploadV2), and say so; or tell the asker why not.
import type { PostmortemJob } from '../jobs/index.ts';
import type { EvidenceStore } from '../remediation/index.ts';
import type { Log } from '../lambda/index.ts';
import { plainMessage } from '../slack/index.ts';
import type { IncidentPoster } from '../slack/index.ts';
import type { Store } from '../store/index.ts';
import type { EvidenceReader } from '../postmortem/index.ts';
import { generatePostmortem, POSTMORTEM_FILE } from '../postmortem/index.ts';

export interface PostmortemJobDeps {
  store: Store;
  poster: IncidentPoster;
  evidence: EvidenceReader | null;
  save: EvidenceStore | null;
  log: Log;
}

export async function runPostmortemJob(job: PostmortemJob, deps: PostmortemJobDeps): Promise<void> {
  const result = await generatePostmortem({ store: deps.store, evidence: deps.evidence, save: deps.save }, job.target);
  if (!result.ok) {
    if (job.respondTo?.user) await deps.poster.ephemeral(job.respondTo.channel, job.respondTo.user, plainMessage(`:x: ${result.error}`));
    else deps.log.warn('postmortem: nothing to draft', { target: job.target, reason: result.error });
    return;
  }
  for (const p of result.problems) deps.log.warn('postmortem', { incident: result.incident.id, problem: p });
  const data = new TextEncoder().encode(result.postmortem.markdown);
  await deps.poster.file(result.incident, { filename: `${result.incident.service}-${POSTMORTEM_FILE}`, title: result.postmortem.title, data });
  await deps.poster.reply(
    result.incident,
    plainMessage(`:memo: Postmortem draft${job.requestedBy ? ` for <@${job.requestedBy}>` : ''} attached${result.saved ? `, saved with the evidence as \`${result.saved.location}\`` : ''}. Edit it before publishing.`),
  );
  await deps.store.appendAudit({ actor: job.requestedBy ?? 'leakhound', action: 'postmortem.drafted', target: `incident ${result.incident.id}`, incidentId: result.incident.id, result: result.saved ? `saved: ${result.saved.name}` : 'posted' });
}
