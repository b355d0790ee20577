// A worker for `leakhound dev`: runs queued jobs in this process and says everything through the
// poster (Slack or the console), so the local loop shows what production would post. Triage with
// live progress on the incident's top message; the Terminate button's fresh session read and
// approval request; approved restarts and terminations through lib/remediation.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog, Service } from '../catalog/model.ts';
import { resolveDatabaseUrl } from '../catalog/database-url.ts';
import type { Job, JobHandler, JobQueue } from '../jobs/model.ts';
import { CommandExecutor, DirectoryEvidenceStore, KubernetesExecutor, runRestart, runTerminate } from '../remediation/index.ts';
import { takeSnapshot, terminationTargetFor, type Snapshot } from '../sessions/index.ts';
import type { Store } from '../store/model.ts';
import { triageService } from '../triage/index.ts';
import type { GatherDeps } from '../triage/gather.ts';
import { plainMessage } from './message.ts';
import { code, safe } from './mrkdwn.ts';
import type { IncidentPoster } from './poster.ts';
import { requestTermination } from './termination.ts';

export interface DevWorkerOptions {
  catalog: Catalog;
  store: Store;
  queue: JobQueue;
  poster: IncidentPoster;
  env: NodeJS.ProcessEnv;
  /** Sessions idle this long are suspects (the demo's leaks are seconds old). */
  minAgeMs?: number;
  cloudwatch?: GatherDeps['cloudwatch'];
}

export function createDevWorker(o: DevWorkerOptions): JobHandler {
  const service = (name: string): Service => {
    const s = o.catalog.services.find((x) => x.name === name);
    if (!s) throw new Error(`no service ${name} in the catalog`);
    return s;
  };
  const say = async (job: { incidentId: string | null; service: string }, text: string) => {
    const incident = job.incidentId ? await o.store.getIncident(job.incidentId) : null;
    if (incident) await o.poster.reply(incident, plainMessage(text));
    else await o.poster.post(service(job.service).slackChannel, plainMessage(text));
  };

  return async (job: Job) => {
    switch (job.type) {
      case 'triage': {
        const svc = service(job.service);
        const incident = job.incidentId ? await o.store.getIncident(job.incidentId) : null;
        const captured: { snapshot: Snapshot | null } = { snapshot: null };
        const deps: GatherDeps = {
          env: o.env,
          cloudwatch: o.cloudwatch ?? null,
          // Keep the snapshot: the Terminate flow needs each session's start time.
          snapshot: async (url, timeoutMs) => (captured.snapshot = await takeSnapshot(url, { timeoutMs, minAgeMs: o.minAgeMs ?? 30_000 })),
        };
        const report = await triageService(
          { catalog: o.catalog, service: svc, minAgeMs: o.minAgeMs, onProgress: incident ? o.poster.progressReporter(incident) : undefined },
          deps,
        );
        const replyTo = job.respondTo?.user ? { channel: job.respondTo.channel, user: job.respondTo.user } : null;
        await o.poster.answerReport(report, { incident, replyTo, requestedBy: job.requestedBy });
        if (job.trigger === 'button' && job.scope === 'sessions' && job.requestedBy) {
          const wanted = new Set(report.actions.find((a) => a.kind === 'terminate-sessions')?.sessionIds ?? []);
          const targets = (captured.snapshot?.sessions ?? []).filter((s) => wanted.has(s.id)).flatMap((s) => terminationTargetFor(s, o.minAgeMs ?? 30_000) ?? []);
          await requestTermination({ store: o.store, poster: o.poster }, { service: svc, incident, requestedBy: job.requestedBy, database: svc.database.id, sessions: targets, replyTo });
        }
        break;
      }
      case 'restart': {
        const r = await runRestart({
          store: o.store,
          queue: o.queue,
          executors: { command: new CommandExecutor(), kubernetes: new KubernetesExecutor() },
          evidence: new DirectoryEvidenceStore(join(tmpdir(), 'leakhound-evidence')),
          approvalId: job.approvalId,
          collectEvidence: async () => [],
          deadline: Date.now() + 5 * 60_000,
          verification: null,
          onProgress: (p) => void say(job, `:gear: ${safe(p.message)}`).catch(() => {}),
        });
        await say(job, r.status === 'skipped' ? `:information_source: Restart not run: ${safe(r.message)}` : `${r.status === 'done' ? ':white_check_mark:' : ':x:'} Restart ${r.status}: ${safe(r.result.message)}`);
        break;
      }
      case 'terminate': {
        const url = await resolveDatabaseUrl(service(job.service), o.env, { timeoutMs: 3_000 });
        if (!url.ok) {
          await say(job, `:x: Cannot terminate: ${safe(url.error)}`);
          break;
        }
        const r = await runTerminate({ store: o.store, queue: o.queue, approvalId: job.approvalId, databaseUrl: url.url, verification: null });
        await say(job, r.status === 'skipped' ? `:information_source: Termination not run: ${safe(r.message)}` : `${r.status === 'done' ? ':white_check_mark:' : ':x:'} ${safe(r.summary)}`);
        break;
      }
      case 'verify':
        await say(job, `:mag: Verification of the ${code(job.action)} is not run by \`leakhound dev\`.`);
        break;
    }
  };
}
