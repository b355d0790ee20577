// What the Slack side needs besides the store and the job queue (lib/jobs): a way to say things
// in Slack. Listeners describe what to say as Notifications; a Notifier sends them. The job
// queue has no "post a message" job, so listeners send the few they need (an approval request,
// a thread note, an ephemeral refusal) after their ack, bounded by a short timeout; the real
// work (triage, restart, termination) always goes to the queue.
import { z } from 'zod';
import type { SlackMessage } from '../render/block-kit.ts';

export type { JobQueue, JobInput } from '../../jobs/index.ts';

/** Where a notification goes. */
export type Notification =
  /** A reply in the incident's thread (its top message is created first if needed). */
  | { to: 'thread'; incidentId: string; message: SlackMessage }
  /** A new message, or a reply when threadTs is set. */
  | { to: 'channel'; channel: string; threadTs?: string; message: SlackMessage }
  | { to: 'update'; channel: string; ts: string; message: SlackMessage }
  | { to: 'ephemeral'; channel: string; user: string; threadTs?: string; message: SlackMessage };

export interface Notifier {
  /** Sends every notification it can; failures are reported, never thrown at the listener. */
  send(notifications: readonly Notification[]): Promise<void>;
}

/** Validates notifications that crossed a process boundary (a queue, a file). */
const messageSchema = z.object({ text: z.string(), blocks: z.array(z.record(z.string(), z.unknown())), metadata: z.record(z.string(), z.unknown()).optional() });
const channelId = z.string().min(1).max(80);
const ts = z.string().min(1).max(32);
export const notificationSchema = z.discriminatedUnion('to', [
  z.object({ to: z.literal('thread'), incidentId: z.string().min(1).max(200), message: messageSchema }),
  z.object({ to: z.literal('channel'), channel: channelId, threadTs: ts.optional(), message: messageSchema }),
  z.object({ to: z.literal('update'), channel: channelId, ts, message: messageSchema }),
  z.object({ to: z.literal('ephemeral'), channel: channelId, user: channelId, threadTs: ts.optional(), message: messageSchema }),
]);
