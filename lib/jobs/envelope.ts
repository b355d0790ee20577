// Building and reading queue messages; shared by the SQS and in-process queues.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { envelopeSchema, jobSchema, type EnqueueOptions, type JobEnvelope, type JobInput } from './model.ts';

const delaySchema = z.number().min(0).max(366 * 24 * 3600);

export function buildEnvelope(job: JobInput, options: EnqueueOptions, now: number): JobEnvelope {
  const delay = delaySchema.parse(options.delaySeconds ?? 0);
  return {
    v: 1,
    id: options.id ?? randomUUID(),
    enqueuedAt: new Date(now).toISOString(),
    notBefore: delay > 0 ? new Date(now + delay * 1000).toISOString() : null,
    job: jobSchema.parse(job),
  };
}

export type ParsedMessage = { ok: true; envelope: JobEnvelope } | { ok: false; error: string };

/** A message body as received; never throws (a bad message is a result, not a crash). */
export function parseMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `not a job message: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` };
  }
  return { ok: true, envelope: parsed.data };
}

/** Seconds until `notBefore`, 0 when it is due. */
export function secondsUntilDue(envelope: JobEnvelope, now: number): number {
  if (envelope.notBefore === null) return 0;
  return Math.max(0, Math.ceil((Date.parse(envelope.notBefore) - now) / 1000));
}
