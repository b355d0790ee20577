// The work Leakhound does off the request path. Slack and alarm handlers only validate, record
// and enqueue; a worker runs the job. Payloads are validated on the way in and on the way out,
// since a queue is a boundary like any other (old messages, hand-sent test messages, bugs).
import { z } from 'zod';

const name = z.string().min(1).max(200);
const iso = z.string().min(1).max(40);

/** What a verification compares. null = could not be read this time (reported as a gap, not as zero). */
export const readingSchema = z.object({
  /** Client sessions on the service's database. */
  connections: z.number().min(0).nullable(),
  /** Sessions idle in a transaction (the leak's signature on the database side). */
  idleInTransaction: z.number().min(0).nullable(),
  /** ALB `HTTPCode_ELB_504_Count` over the last period. */
  elb504: z.number().min(0).nullable(),
});
export type Reading = z.infer<typeof readingSchema>;

export const timedReadingSchema = readingSchema.extend({ at: iso });
export type TimedReading = z.infer<typeof timedReadingSchema>;

export const triageJobSchema = z.object({
  type: z.literal('triage'),
  service: name,
  incidentId: name.nullable(),
  trigger: z.enum(['alarm', 'command', 'button', 'reopen']),
  /** Slack user id, null for alarms. */
  requestedBy: name.nullable(),
  /** `/leak sessions` and `/leak dump` run part of the triage. */
  scope: z.enum(['full', 'sessions', 'dump']).default('full'),
  /** Where to answer when there is no incident thread (an ephemeral reply to a command). */
  respondTo: z.object({ channel: name, user: name.nullable(), threadTs: name.nullable() }).nullable().default(null),
});

export const restartJobSchema = z.object({
  type: z.literal('restart'),
  approvalId: name,
  incidentId: name.nullable(),
  service: name,
});

export const terminateJobSchema = z.object({
  type: z.literal('terminate'),
  approvalId: name,
  incidentId: name.nullable(),
  service: name,
});

export const verifyJobSchema = z.object({
  type: z.literal('verify'),
  service: name,
  incidentId: name.nullable(),
  approvalId: name.nullable(),
  /** What was done and is being verified. */
  action: z.enum(['restart', 'terminate']),
  /** Reading taken before the remedy (from the triage), null if none was available. */
  before: readingSchema.nullable(),
  /** Readings taken by earlier checks of this verification, oldest first. */
  history: z.array(timedReadingSchema).max(500).default([]),
  /** When the remedy finished. */
  startedAt: iso,
  /** Keep checking until then: a leak that comes back within it is "regressed later". */
  watchUntil: iso,
  /** Delay between checks. */
  intervalSeconds: z.number().int().min(1).max(24 * 3600),
});

export const postmortemJobSchema = z.object({
  type: z.literal('postmortem'),
  /** An incident id, or the service whose latest incident it is. */
  target: name,
  service: name,
  requestedBy: name.nullable(),
  /** Where to answer when the incident has no thread (or none is found). */
  respondTo: z.object({ channel: name, user: name.nullable(), threadTs: name.nullable() }).nullable().default(null),
});

export const jobSchema = z.discriminatedUnion('type', [triageJobSchema, restartJobSchema, terminateJobSchema, verifyJobSchema, postmortemJobSchema]);

export type TriageJob = z.infer<typeof triageJobSchema>;
export type RestartJob = z.infer<typeof restartJobSchema>;
export type TerminateJob = z.infer<typeof terminateJobSchema>;
export type VerifyJob = z.infer<typeof verifyJobSchema>;
export type PostmortemJob = z.infer<typeof postmortemJobSchema>;
export type Job = z.infer<typeof jobSchema>;
/** What callers pass: defaults (scope, respondTo, history) may be left out. */
export type JobInput = z.input<typeof jobSchema>;
export type JobType = Job['type'];

/** The message body on the queue. */
export const envelopeSchema = z.object({
  v: z.literal(1),
  /** Stable across redeliveries and deferrals: the idempotency key for the job. */
  id: name,
  enqueuedAt: iso,
  /** Not to run before this instant (delays longer than SQS's 15 minutes are deferred in steps). */
  notBefore: iso.nullable(),
  job: jobSchema,
});
export type JobEnvelope = z.infer<typeof envelopeSchema>;

export interface EnqueueOptions {
  /** Run no earlier than this many seconds from now. */
  delaySeconds?: number;
  /** Keep an existing job id (deferrals); default a fresh one. */
  id?: string;
}

export interface JobMeta {
  id: string;
  enqueuedAt: string;
  /** 1 on first delivery. */
  attempt: number;
}

export type JobHandler = (job: Job, meta: JobMeta) => Promise<void>;

export interface JobQueue {
  enqueue(job: JobInput, options?: EnqueueOptions): Promise<{ id: string }>;
}

/** SQS caps DelaySeconds at 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;
