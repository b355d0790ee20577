// Inbound Slack requests as API Gateway HTTP API (v2) events, signed the way Slack signs them:
// v0=HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>"), with X-Slack-Request-Timestamp.
import { createHmac } from 'node:crypto';
import type { AwsEvent } from '../../lib/slack/app/lambda-receiver.ts';

export const SIGNING_SECRET = 'test-signing-secret-8f2b1c9d4e';
export const BOT_TOKEN = 'xoxb-1111-2222-test-bot-token-abcdef';

export interface SignOptions {
  secret?: string;
  /** Epoch seconds; default now. */
  timestamp?: number;
  retryNum?: number;
  /** Use this signature instead of computing one. */
  signature?: string;
}

export function sign(body: string, secret: string, timestamp: number): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function apiGatewayEvent(body: string, options: SignOptions = {}): AwsEvent {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': options.signature ?? sign(body, options.secret ?? SIGNING_SECRET, timestamp),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      http: { method: 'POST', path: '/slack/events', protocol: 'HTTP/1.1', sourceIp: '3.3.3.3', userAgent: headers['user-agent'] },
      requestId: 'req',
      routeKey: 'POST /slack/events',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

let triggerSeq = 0;

export function commandBody(text: string, opts: { user?: string; channel?: string; triggerId?: string } = {}): string {
  triggerSeq += 1;
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T1',
    team_domain: 'acme',
    channel_id: opts.channel ?? 'C0ONCALL01',
    channel_name: 'oncall',
    user_id: opts.user ?? 'UREQUESTER',
    user_name: 'requester',
    command: '/leak',
    text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/T1/1/abc',
    trigger_id: opts.triggerId ?? `trigger-${triggerSeq}`,
  }).toString();
}

let actionSeq = 0;

export interface ClickOptions {
  user: string;
  actionId: string;
  value: string;
  channel?: string;
  messageTs?: string;
  threadTs?: string;
  actionTs?: string;
  ephemeral?: boolean;
}

export function blockActionBody(o: ClickOptions): string {
  actionSeq += 1;
  const actionTs = o.actionTs ?? `1700000100.${String(actionSeq).padStart(6, '0')}`;
  const channel = o.channel ?? 'C0ONCALL01';
  const messageTs = o.messageTs ?? '1700000000.000001';
  const payload = {
    type: 'block_actions',
    user: { id: o.user, username: o.user.toLowerCase(), name: o.user.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: o.ephemeral ?? false, ...(o.threadTs ? { thread_ts: o.threadTs } : {}) },
    trigger_id: `trigger-act-${actionSeq}`,
    team: { id: 'T1', domain: 'acme' },
    channel: { id: channel, name: 'oncall' },
    message: { type: 'message', ts: messageTs, text: 'x', ...(o.threadTs ? { thread_ts: o.threadTs } : {}) },
    response_url: 'https://hooks.slack.com/actions/T1/1/abc',
    actions: [{ type: 'button', action_id: o.actionId, block_id: 'b', text: { type: 'plain_text', text: 'x' }, value: o.value, action_ts: actionTs }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
