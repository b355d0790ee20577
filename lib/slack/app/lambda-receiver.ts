// The Slack app behind API Gateway: Bolt's AwsLambdaReceiver (signature and 5-minute timestamp
// checks, url_verification, ssl_check) with our listeners, as a two-argument handler.
//
// Before Bolt sees a request it is admitted here: the signature and timestamp are checked first
// (Bolt parses the body before it verifies, and logs refusals only at info level), and a signed
// body must have the envelope Bolt's own middleware dereferences. Every refusal is logged at
// warn level with its reason, never with the body.
import { parse as parseQuery } from 'node:querystring';
import { AwsLambdaReceiver, LogLevel, verifySlackRequest, type Logger } from '@slack/bolt';
import { z } from 'zod';
import { createSlackApp, type SlackAppOptions } from './bolt-app.ts';

type AwsHandler = ReturnType<AwsLambdaReceiver['toHandler']>;
/** API Gateway REST (v1) or HTTP API (v2) event, as the receiver reads it. */
export type AwsEvent = Parameters<AwsHandler>[0];
export type AwsResponse = Awaited<ReturnType<AwsHandler>>;
export type SlackLambdaHandler = (event: AwsEvent, context: unknown) => Promise<AwsResponse>;

export interface SlackLambdaOptions extends Omit<SlackAppOptions, 'receiver'> {
  signingSecret: string;
  /** Clock for the timestamp check (tests). */
  nowMs?: () => number;
}

/**
 * The only requests this app handles, in the shape Bolt's built-in middleware dereferences
 * before any listener runs: `/leak` commands, button clicks (block_actions), and Slack's URL and
 * SSL checks. Ids must look like Slack ids: Bolt keys objects by them (a team id of
 * "constructor" reaches Object.prototype). Bolt classifies a body by the first of `event`,
 * `command`, `name`, `actions` present, so each kind rules out the ones before it.
 */
const slackId = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,39}$/, 'not a Slack id');
const idHolder = z.looseObject({ id: slackId.optional() });
const absent = z.undefined().optional();
const envelopeSchema = z.union([
  z.looseObject({
    command: z.string().max(100),
    event: absent,
    team_id: slackId.optional(),
    enterprise_id: slackId.optional(),
    user_id: slackId.optional(),
    channel_id: slackId.optional(),
  }),
  z.looseObject({
    type: z.literal('block_actions'),
    actions: z.array(z.looseObject({ action_id: z.string().max(255), type: z.string().max(100) })).min(1).max(25),
    user: z.looseObject({ id: slackId, team_id: slackId.optional() }),
    // Enterprise Grid sends team (or enterprise) null; Bolt reads around that, but not a null channel.
    team: idHolder.nullable().optional(),
    enterprise: idHolder.nullable().optional(),
    channel: idHolder.optional(),
    event: absent,
    command: absent,
    name: absent,
  }),
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string().max(500), event: absent, command: absent, name: absent, actions: absent }),
  z.looseObject({ ssl_check: z.string().max(10) }),
]);

/** Slack's own rule: a request's timestamp within 5 minutes of the receiver's clock. */
const MAX_SKEW_MS = 5 * 60_000;

export type Admission = { ok: true } | { ok: false; status: 400 | 401; reason: string };

function header(headers: AwsEvent['headers'], name: string): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' ? value : undefined;
}

function rawBody(event: AwsEvent): string {
  if (typeof event.body !== 'string') return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('ascii') : event.body;
}

/** The body as Bolt will read it (form fields, or the JSON of a `payload` field, or JSON). */
function decodeBody(body: string, contentType: string | undefined): unknown {
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = parseQuery(body);
    return typeof form['payload'] === 'string' ? JSON.parse(form['payload']) : { ...form };
  }
  return JSON.parse(body);
}

/** Signed by Slack within the last 5 minutes, and shaped like something Slack sends. */
export function admitSlackRequest(event: AwsEvent, signingSecret: string, nowMs: number = Date.now()): Admission {
  const body = rawBody(event);
  const signature = header(event.headers, 'x-slack-signature');
  const timestamp = header(event.headers, 'x-slack-request-timestamp');
  if (!signature || !timestamp) return { ok: false, status: 401, reason: 'unsigned: no X-Slack-Signature or X-Slack-Request-Timestamp header' };
  if (!/^\d{1,12}$/.test(timestamp.trim())) return { ok: false, status: 401, reason: 'X-Slack-Request-Timestamp is not a number' };
  // Bolt refuses only stamps older than 5 minutes; one from the future is as much a replay risk
  // (a request signed ahead of time stays valid until then).
  if (Number(timestamp) * 1000 - nowMs > MAX_SKEW_MS) return { ok: false, status: 401, reason: 'replayed or stale: X-Slack-Request-Timestamp is more than 5 minutes in the future' };
  try {
    verifySlackRequest({ signingSecret, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(timestamp) }, nowMilliseconds: nowMs });
  } catch (err) {
    // Bolt's reasons name the rule (stale timestamp, signature mismatch), never a value.
    const reason = err instanceof Error ? err.message.replace(/^Failed to verify authenticity: /, '') : 'signature check failed';
    return { ok: false, status: 401, reason: /stale/.test(reason) ? `replayed or stale: ${reason}` : reason };
  }
  let decoded: unknown;
  try {
    decoded = decodeBody(body, header(event.headers, 'content-type'));
  } catch {
    return { ok: false, status: 400, reason: 'signed, but the body is not a Slack payload (not JSON or form data)' };
  }
  if (!envelopeSchema.safeParse(decoded).success) return { ok: false, status: 400, reason: 'signed, but not a request this app handles (a /leak command or a button click)' };
  return { ok: true };
}

export function createSlackLambdaHandler(options: SlackLambdaOptions): SlackLambdaHandler {
  if (!options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is not set');
  const receiver = new AwsLambdaReceiver({
    signingSecret: options.signingSecret,
    logLevel: options.logLevel ?? LogLevel.WARN,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const logger: Logger = receiver.logger;
  createSlackApp({ ...options, receiver, secrets: [options.signingSecret, ...(options.secrets ?? [])] });
  const handle = receiver.toHandler();
  const now = options.nowMs ?? Date.now;
  return async (event, context) => {
    const admitted = admitSlackRequest(event, options.signingSecret, now());
    if (!admitted.ok) {
      const from = (event.requestContext as { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } | undefined);
      const ip = from?.http?.sourceIp ?? from?.identity?.sourceIp ?? 'unknown';
      logger.warn(`refused a Slack request (${admitted.status}) from ${ip}: ${admitted.reason}`);
      return { statusCode: admitted.status, body: '' };
    }
    try {
      return await handle(event, context);
    } catch {
      // Admitted bodies parse; this is a last fence, not a path (and nothing of the body is logged).
      logger.warn('refused a Slack request (400): Bolt could not read it');
      return { statusCode: 400, body: '' };
    }
  };
}
