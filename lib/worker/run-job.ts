// The worker's job handler: triage (and its Slack posts), restart, termination, verification.
// The one set of handlers for both transports: the Lambda worker reads them from SQS
// (functions/worker.ts), `leakhound dev` from the in-process queue (lib/cli/local-worker.ts).
// A job that cannot succeed on retry (a service gone from the catalog, an approval already
// used) is reported and completed; a job that failed for a passing reason throws, so SQS
// redelivers it and, after maxReceiveCount, keeps it in the DLQ.
import { findService, resolveDatabaseUrl, type Catalog, type Service } from '../catalog/index.ts';
import { readingSchema, type Job, type JobHandler, type JobQueue, type Reading, type VerifyJob } from '../jobs/index.ts';
import type { CloudWatchLike } from '../metrics/index.ts';
import { fetchMetricsGraph } from '../metrics/index.ts';
// From the modules, not remediation/index.ts: the barrel would also load the ECS executor and its
// SDK client, which the worker imports only for an ECS restart (lib/wiring/worker.ts).
import type { EvidenceItem, EvidenceStore } from '../remediation/index.ts';
import type { Executors } from '../remediation/index.ts';
import { runRestart } from '../remediation/index.ts';
import { runTerminate } from '../remediation/index.ts';
import { DEFAULT_VERIFICATION, runVerificationCheck, type VerificationPlan } from '../remediation/index.ts';
import { takeSnapshot, terminationTargetFor, type Snapshot } from '../sessions/index.ts';
import type { IncidentPoster, GraphImage } from '../slack/index.ts';
import { plainMessage, type SlackMessage } from '../slack/index.ts';
import { requestTermination } from './termination-request.ts';
import type { Incident, Store } from '../store/index.ts';
import type { GatherDeps } from '../triage/index.ts';
import { collectEvidence, readVerification } from '../triage/index.ts';
import { triageService, type Report } from '../triage/index.ts';
import { incidentPageItems, rewriteIncidentPage, type PageLinker, type PageReading } from '../evidence-page/index.ts';
import { alertNameOfUnmapped } from '../intake/index.ts';
import { errorMessage } from '../errors/index.ts';
import type { Log } from '../lambda/index.ts';
import { METRICS, noMeter, type Meter } from '../lambda/index.ts';
import { restartNote, terminateNote, unmappedNote, verificationNote } from './thread-notes.ts';
// The postmortem job posts to Slack, so it lives with the worker (postmortem ↛ slack).
import { runPostmortemJob } from './postmortem-job.ts';
import type { EvidenceReader } from '../postmortem/index.ts';

export interface WorkerDeps {
  catalog: Catalog;
  store: Store;
  queue: JobQueue;
  poster: IncidentPoster;
  gather: GatherDeps;
  executors: Executors;
  evidence: EvidenceStore;
  /** For the metric graph in the thread; null where there is no CloudWatch. */
  cloudwatch: CloudWatchLike | null;
  /** Evidence + restart + rollout must end by then (the worker's timeout is longer). */
  restartSeconds: number;
  log: Log;
  /** Triage duration, verdicts, gaps, restarts (Powertools Metrics in Lambda); default none. */
  meter?: Meter;
  /** Sessions idle this long are suspects. */
  minAgeMs?: number;
  /** When the checks after a remedy run; default the deployed schedule (after 2 min, then every 5 for 30). */
  verification?: VerificationSchedule;
  /** Where the postmortem reads the incident's saved evidence (report.json); absent: drafted without it. */
  evidenceReader?: EvidenceReader;
  /** Told of every restart that was done (the watch keeps watching the service for a regression). */
  afterRestart?: (done: { service: string; incidentId: string | null; at: number; reportJson: string | null }) => Promise<void>;
  /** Links the incident's evidence page in the thread (presigned in S3, a path locally); none without. */
  pageLinker?: PageLinker | null;
}

export type VerificationSchedule = Omit<VerificationPlan, 'before'>;

export function createJobHandler(deps: WorkerDeps): JobHandler {
  const run = async (job: Job): Promise<void> => {
    switch (job.type) {
      case 'triage':
        return triage(job, deps);
      case 'restart':
        return restart(job, deps);
      case 'terminate':
        return terminate(job, deps);
      case 'verify':
        return verify(job, deps);
      case 'postmortem':
        return postmortem(job, deps);
    }
  };
  return async (job, meta) => {
    try {
      await run(job);
    } finally {
      // Every paced Slack write lands before the invocation ends.
      await deps.poster.flush();
    }
    deps.log.info('job done', { type: job.type, job: meta.id, attempt: meta.attempt, service: job.service });
  };
}

async function incidentOf(deps: WorkerDeps, id: string | null): Promise<Incident | null> {
  return id ? deps.store.getIncident(id) : null;
}

/** A note in the incident thread, or in the service's channel when there is no incident. */
async function say(deps: WorkerDeps, job: { incidentId: string | null; service: string }, message: SlackMessage): Promise<void> {
  const incident = await incidentOf(deps, job.incidentId);
  if (incident) await deps.poster.reply(incident, message);
  else await deps.poster.post(findService(deps.catalog, job.service)?.slackChannel ?? deps.catalog.defaults.slackChannel, message);
}

async function triage(job: Extract<Job, { type: 'triage' }>, deps: WorkerDeps): Promise<void> {
  const incident = await incidentOf(deps, job.incidentId);
  const service = findService(deps.catalog, job.service);
  if (!service) {
    const alertName = alertNameOfUnmapped(job.service);
    if (incident && alertName !== null) await deps.poster.top(incident, unmappedNote(alertName));
    else deps.log.warn('triage for a service not in the catalog; dropped', { service: job.service });
    return;
  }
  // The alarm went back to OK: the job queued then turns the top message into "resolved".
  if (incident?.state === 'resolved' && job.trigger === 'alarm') {
    await deps.poster.resolved(incident);
    return;
  }
  const minAgeMs = deps.minAgeMs ?? 30_000;
  const captured: { snapshot: Snapshot | null } = { snapshot: null };
  const gather: GatherDeps = {
    ...deps.gather,
    // Kept for the Terminate flow, which needs each session's start time.
    snapshot: async (url, timeoutMs) => (captured.snapshot = await takeSnapshot(url, { timeoutMs, minAgeMs })),
  };
  const report = await triageService({ catalog: deps.catalog, service, minAgeMs, onProgress: incident ? deps.poster.progressReporter(incident) : undefined }, gather);
  const meter = deps.meter ?? noMeter;
  meter.milliseconds(METRICS.triageDuration, report.elapsedMs);
  meter.count(METRICS.triageGaps, report.gaps.length);
  meter.count(METRICS.verdicts, 1, ['verdict', report.verdict.kind]);
  const replyTo = job.respondTo?.user ? { channel: job.respondTo.channel, user: job.respondTo.user } : null;
  const graph = incident ? await graphOf(deps, service, report) : null;
  await deps.poster.answerReport(report, { incident, replyTo, requestedBy: job.requestedBy, graph });
  // On the record: the postmortem's timeline starts with what the bot said and when.
  if (incident) await deps.store.appendAudit({ actor: 'leakhound', action: 'triage.posted', target: service.name, incidentId: incident.id, result: report.verdict.headline.slice(0, 2000) });

  if (job.trigger === 'button' && job.scope === 'sessions' && job.requestedBy) {
    const wanted = new Set(report.actions.find((a) => a.kind === 'terminate-sessions')?.sessionIds ?? []);
    const targets = (captured.snapshot?.sessions ?? []).filter((s) => wanted.has(s.id)).flatMap((s) => terminationTargetFor(s, minAgeMs) ?? []);
    await requestTermination(
      { store: deps.store, poster: deps.poster },
      { service, incident, requestedBy: job.requestedBy, database: service.database.id, sessions: targets, replyTo },
    );
  }
}

async function graphOf(deps: WorkerDeps, service: Service, report: Report): Promise<GraphImage | null> {
  if (!deps.cloudwatch || (!service.database.rds && !service.loadBalancer)) return null;
  const graph = await fetchMetricsGraph(deps.cloudwatch, {
    database: service.database.rds,
    loadBalancer: service.loadBalancer,
    maxConnections: report.capacity.maxConnections,
    region: deps.catalog.defaults.region,
    timeoutMs: 5_000,
  });
  if (!graph.ok) deps.log.warn('no graph', { service: service.name, reason: graph.gap.detail });
  return graph.ok ? { png: graph.png } : null;
}

/** The reading behind the decision: the one in the Report saved as evidence. */
function readingOfEvidence(items: readonly EvidenceItem[]): Reading | null {
  const report = items.find((i) => i.name === 'report.json');
  if (!report || typeof report.body !== 'string') return null;
  try {
    const parsed = readingSchema.safeParse((JSON.parse(report.body) as { reading?: unknown }).reading);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function restart(job: Extract<Job, { type: 'restart' }>, deps: WorkerDeps): Promise<void> {
  const service = findService(deps.catalog, job.service);
  const verification: VerificationPlan = { ...deps.verification, before: null };
  let reportJson: string | null = null;
  const result = await runRestart({
    store: deps.store,
    queue: deps.queue,
    executors: deps.executors,
    evidence: deps.evidence,
    approvalId: job.approvalId,
    collectEvidence: async () => {
      if (!service) return [];
      // The evidence page is made from the same reading, with the timeline so far and the graph.
      const derived = (parts: Parameters<typeof incidentPageItems>[2]) =>
        incidentPageItems({ store: deps.store, graph: async (report) => (await graphOf(deps, service, report))?.png ?? null }, job.incidentId, parts);
      const items = await collectEvidence(service, deps.catalog.defaults, deps.gather, undefined, { derived });
      verification.before = readingOfEvidence(items);
      const saved = items.find((i) => i.name === 'report.json')?.body;
      reportJson = typeof saved === 'string' ? saved : null;
      return items;
    },
    deadline: Date.now() + deps.restartSeconds * 1000,
    verification,
  });
  (deps.meter ?? noMeter).count(METRICS.restarts, 1, ['outcome', result.status]);
  const page = result.status !== 'skipped' && job.incidentId ? await deps.pageLinker?.link(job.incidentId).catch(() => null) : null;
  await say(deps, job, restartNote(result, deps.verification?.delaySeconds ?? DEFAULT_VERIFICATION.delaySeconds, page ?? null));
  if (result.status === 'done' && deps.afterRestart) {
    await deps.afterRestart({ service: job.service, incidentId: job.incidentId, at: Date.now(), reportJson }).catch((err: unknown) =>
      deps.log.warn('could not mark the restart for the watch', { service: job.service, reason: errorMessage(err) }),
    );
  }
}

/** After the first and the last check, the page is written again with the readings after the remedy and the timeline to now. */
const VERDICT_WORDS = { pass: 'recovered', fail: 'not recovered', 'regressed-later': 'the leak is back', inconclusive: 'inconclusive' } as const;

async function rewritePage(deps: WorkerDeps, job: VerifyJob, check: { reading: PageReading['reading'] & { at: string }; verdict: { verdict: keyof typeof VERDICT_WORDS } }): Promise<void> {
  if (!job.incidentId) return;
  const readings: PageReading[] = [];
  const after = (at: string) => `${Math.max(0, Math.round((Date.parse(at) - Date.parse(job.startedAt)) / 60_000))} min after the ${job.action}`;
  if (job.before) readings.push({ at: job.startedAt, label: `before the ${job.action}`, reading: job.before });
  for (const r of job.history) readings.push({ at: r.at, label: after(r.at), reading: r });
  // This check's reading carries the verdict: the timeline's verification step.
  const r = check.reading;
  readings.push({ at: r.at, label: `${after(r.at)}: ${VERDICT_WORDS[check.verdict.verdict]}`, reading: { connections: r.connections, idleInTransaction: r.idleInTransaction, elb504: r.elb504 } });
  try {
    await rewriteIncidentPage({ store: deps.store, evidence: deps.evidence }, job.incidentId, readings);
  } catch (err) {
    deps.log.warn('evidence page not rewritten', { incident: job.incidentId, reason: errorMessage(err) });
  }
}

async function terminate(job: Extract<Job, { type: 'terminate' }>, deps: WorkerDeps): Promise<void> {
  const service = findService(deps.catalog, job.service);
  if (!service) return say(deps, job, plainMessage(`:x: Cannot terminate sessions: service ${job.service} is no longer in the catalog.`));
  const url = await resolveDatabaseUrl(service, deps.gather.env, { readSecret: deps.gather.readSecret, timeoutMs: 3_000 });
  if (!url.ok) return say(deps, job, plainMessage(`:x: Cannot terminate sessions: ${url.error}`));
  const before = await readVerification(service, deps.gather).catch(() => null);
  const result = await runTerminate({ store: deps.store, queue: deps.queue, approvalId: job.approvalId, databaseUrl: url.url, verification: { ...deps.verification, before } });
  await say(deps, job, terminateNote(result));
}

async function verify(job: VerifyJob, deps: WorkerDeps): Promise<void> {
  const service = findService(deps.catalog, job.service);
  if (!service) {
    deps.log.warn('verification for a service not in the catalog; dropped', { service: job.service });
    return;
  }
  const check = await runVerificationCheck({ job, read: () => readVerification(service, deps.gather), queue: deps.queue });
  if (check.readError) deps.log.warn('verification reading failed', { service: service.name, reason: errorMessage(check.readError) });
  // The first result and the last one are news; the checks in between stay quiet. The page
  // follows the same news, and is written first: whoever reads the note finds it up to date.
  if (check.first || check.final) {
    // On the record first: the postmortem's timeline and the page's read the audit log.
    await deps.store.appendAudit({ actor: 'leakhound', action: `verification.${check.verdict.verdict}`, target: `${job.action} of ${job.service}`, incidentId: job.incidentId, result: check.verdict.reasons.join('; ').slice(0, 2000) || check.verdict.verdict });
    await rewritePage(deps, job, check);
    await say(deps, job, verificationNote(job.action, check));
  }
}

async function postmortem(job: Extract<Job, { type: 'postmortem' }>, deps: WorkerDeps): Promise<void> {
  await runPostmortemJob(job, { store: deps.store, poster: deps.poster, evidence: deps.evidenceReader ?? null, save: deps.evidence, log: deps.log });
}
