// Forged requests on every door: Slack (forged, missing, tampered, replayed signatures, through
// the real Lambda handler), the Alertmanager/Grafana webhooks (no token, a wrong token, a
// tampered or replayed HMAC) and SNS over HTTPS (bad signatures, certificate URLs outside the
// SNS hosts, other topics, replays). Each is refused with 401/403, logged with its reason, and
// not acted upon: no job, and not one call into the store. (test/slack and test/functions check
// the answers in detail; this checks the log line and the store.)
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWebhookApp, type WebhookDeps } from '../../lib/webhook/app.ts';
import { SNS_FORBIDDEN, SnsVerifier, type SnsMessage } from '../../lib/webhook/sns-signature.ts';
import { GRAFANA_SIGNATURE_HEADER, GRAFANA_TIMESTAMP_HEADER, hmacHex, sourceAuth } from '../../lib/webhook/source-auth.ts';
import type { Store } from '../../lib/store/model.ts';
import { ACTIONS } from '../../lib/slack/render/action-ids.ts';
import { fixtureText, ingestDeps, makeSigner, OTHER_TOPIC, snsNotification, SnsStub, snsWebhook, TOPIC, type SnsSigner } from '../support/functions-harness.ts';
import { SIGNING_SECRET, apiGatewayEvent, blockActionBody, commandBody, sign } from '../support/slack-events.ts';
import { harness, type Harness } from '../support/slack-harness.ts';

/** Refusals by door and kind, for the closing figures. */
const refused: Record<string, number> = {};
afterAll(() => console.log(`forged requests refused, logged and not acted upon: ${JSON.stringify(refused)}`));

/** Spies on every method of a store: forged requests must not reach it at all. */
function storeCalls(store: Store): () => string[] {
  const methods = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  const names = Object.getOwnPropertyNames(Object.getPrototypeOf(store)).filter((n) => n !== 'constructor' && typeof methods[n] === 'function');
  const spies = names.map((n) => [n, vi.spyOn(methods, n)] as const);
  return () => spies.flatMap(([n, s]) => Array(s.mock.calls.length).fill(n) as string[]);
}

describe('Slack', () => {
  let h: Harness;
  let calls: () => string[];
  beforeAll(async () => {
    h = await harness();
    calls = storeCalls(h.store);
  });
  afterAll(() => h.close());

  const now = () => Math.floor(Date.now() / 1000);
  const restartClick = blockActionBody({ user: 'UAPPROVER1', actionId: ACTIONS.restart, value: 's:billing-api' });
  const cases: Array<[string, () => ReturnType<Harness['handler']>, RegExp]> = [
    ['signed with another secret', () => h.send(commandBody('restart billing-api'), { secret: 'not-the-signing-secret' }), /signature mismatch/],
    ['a made-up signature', () => h.send(restartClick, { signature: `v0=${'0'.repeat(64)}` }), /signature mismatch/],
    ['no signature headers', () => h.handler({ ...apiGatewayEvent(restartClick), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), /unsigned/],
    ['an unknown signature version', () => h.send(restartClick, { signature: sign(restartClick, SIGNING_SECRET, now()).replace('v0=', 'v1=') }), /unknown signature version/],
    [
      'the body changed after signing',
      () => {
        const ts = now();
        return h.send(commandBody('restart billing-api'), { signature: sign(commandBody('help'), SIGNING_SECRET, ts), timestamp: ts });
      },
      /signature mismatch/,
    ],
    ['a captured click replayed six minutes later', () => h.send(restartClick, { timestamp: now() - 6 * 60 }), /replayed or stale/],
    // Bolt checks only the past: a request signed now but stamped ahead stays replayable until then.
    ['a click stamped six minutes in the future', () => h.send(restartClick, { timestamp: now() + 6 * 60 }), /more than 5 minutes in the future/],
    ['a command stamped a day in the future', () => h.send(commandBody('restart billing-api'), { timestamp: now() + 86_400 }), /more than 5 minutes in the future/],
    ['a timestamp that is not a number', () => h.handler({ ...apiGatewayEvent(restartClick), headers: { ...apiGatewayEvent(restartClick).headers, 'x-slack-request-timestamp': 'soon' } }), /not a number/],
  ];

  it.each(cases)('%s: 401, logged with the reason, nothing stored or queued', async (kind, send, reason) => {
    const warns = h.logger.warns.length;
    const res = await send();
    expect(res.statusCode).toBe(401);
    const logged = h.logger.warns.slice(warns);
    expect(logged).toEqual([expect.stringMatching(/^refused a Slack request \(401\) from 3\.3\.3\.3: /)]);
    expect(logged[0]).toMatch(reason);
    // The log says why, never what was sent.
    expect(logged[0]).not.toMatch(/billing-api|v0=|UAPPROVER1/);
    await h.queue.inner.drain();
    expect(h.queue.jobs).toEqual([]);
    expect(calls()).toEqual([]);
    expect(h.slack.calls).toEqual([]);
    refused[`slack: ${kind}`] = 1;
  });

  it('the same requests, signed and fresh, are accepted (the refusals were for the forgery)', async () => {
    expect((await h.send(commandBody('help'))).statusCode).toBe(200);
    expect((await h.send(restartClick)).statusCode).toBe(200);
    expect(calls().length).toBeGreaterThan(0);
  });
});

describe('webhooks', () => {
  const AM_TOKEN = 'am-token-security-0123456789';
  const GRAFANA_HMAC = 'grafana-hmac-security-0123456789';

  function setup() {
    const base = ingestDeps();
    const deps: WebhookDeps = {
      ...base,
      auth: { alertmanager: sourceAuth(AM_TOKEN), grafana: sourceAuth(null, GRAFANA_HMAC) },
      sns: new SnsVerifier({ topicArns: [TOPIC], fetchCert: async () => 'never fetched here' }),
      confirm: async () => '',
    };
    const app = createWebhookApp({ deps: async () => deps, maxBodyBytes: 256 * 1024, log: base.log });
    return { app, base, calls: storeCalls(base.store) };
  }
  const post = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const am = fixtureText('alertmanager-v4-mixed.json');
  const grafana = fixtureText('grafana-unified-mixed.json');
  const ts = () => String(Math.floor(Date.now() / 1000));

  const cases: Array<[string, string, () => RequestInit, 401 | 403, RegExp]> = [
    ['Alertmanager without a token', '/webhooks/alertmanager', () => post(am), 401, /missing credentials/],
    ['Alertmanager with a wrong token', '/webhooks/alertmanager', () => post(am, { authorization: `Bearer ${AM_TOKEN.slice(0, -1)}x` }), 403, /wrong token/],
    ['Alertmanager with a token in the wrong scheme', '/webhooks/alertmanager', () => post(am, { authorization: `Basic ${AM_TOKEN}` }), 401, /Bearer/],
    ['Grafana with no signature', '/webhooks/grafana', () => post(grafana), 401, /missing credentials/],
    ['Grafana with the body changed after signing', '/webhooks/grafana', () => post(grafana.replace('"firing"', '"resolved"'), { [GRAFANA_SIGNATURE_HEADER]: hmacHex(GRAFANA_HMAC, grafana) }), 403, /bad signature/],
    [
      'Grafana replayed an hour later',
      '/webhooks/grafana',
      () => {
        const old = String(Math.floor(Date.now() / 1000) - 3600);
        return post(grafana, { [GRAFANA_SIGNATURE_HEADER]: hmacHex(GRAFANA_HMAC, grafana, old), [GRAFANA_TIMESTAMP_HEADER]: old });
      },
      403,
      /timestamp/,
    ],
    ['Grafana signed with another key', '/webhooks/grafana', () => post(grafana, { [GRAFANA_SIGNATURE_HEADER]: hmacHex('another-key', grafana, ts()), [GRAFANA_TIMESTAMP_HEADER]: ts() }), 403, /bad signature/],
  ];

  it.each(cases)('%s: refused, logged with the reason, nothing stored or queued', async (kind, path, init, status, reason) => {
    const { app, base, calls } = setup();
    const res = await app.request(path, init());
    expect(res.status).toBe(status);
    expect(base.log.lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'refused', path, status, reason: expect.stringMatching(reason) })]);
    expect(JSON.stringify(base.log.lines)).not.toContain(AM_TOKEN.slice(0, 12));
    expect(base.queue.jobs).toEqual([]);
    expect(calls()).toEqual([]);
    refused[`webhook: ${kind}`] = 1;
  });
});

describe('SNS over HTTPS', () => {
  let signer: SnsSigner;
  let stub: SnsStub;
  beforeAll(async () => {
    signer = makeSigner();
    stub = new SnsStub(signer.cert);
    await stub.start();
  });
  afterAll(() => stub.stop());

  function setup() {
    const h = snsWebhook(stub, {
      confirm: async () => {
        throw new Error('a forged confirmation was followed');
      },
    });
    return { send: h.send, base: h.base, certFetches: h.certFetches, calls: storeCalls(h.base.store) };
  }

  const good = () => snsNotification(signer);
  const cases: Array<[string, () => SnsMessage, RegExp, boolean]> = [
    ['a message changed after signing', () => ({ ...good(), Message: good().Message.replace('"ALARM"', '"OK"') }), /bad signature/, true],
    ['a signature that is not one', () => ({ ...good(), Signature: Buffer.from('forged').toString('base64') }), /bad signature/, true],
    ['a signature downgraded to SHA-1', () => ({ ...good(), SignatureVersion: '1' }), /bad signature/, true],
    ['a certificate URL on another host', () => snsNotification(signer, { SigningCertURL: 'https://evil.example.com/SimpleNotificationService-0123.pem' }), /SigningCertURL is not on sns\./, false],
    ['a certificate URL on a look-alike host', () => snsNotification(signer, { SigningCertURL: 'https://sns.eu-west-1.amazonaws.com.evil.example.com/SimpleNotificationService-0123.pem' }), /SigningCertURL is not on sns\./, false],
    ['a certificate URL over plain HTTP', () => snsNotification(signer, { SigningCertURL: 'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem' }), /SigningCertURL is not on sns\./, false],
    ['a topic that is not configured', () => snsNotification(signer, { TopicArn: OTHER_TOPIC }), /not configured/, false],
    ['a message replayed two hours later', () => snsNotification(signer, { Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() }), /old|stale|replay/i, false],
    ['a forged subscription confirmation for another topic', () => snsNotification(signer, { Type: 'SubscriptionConfirmation', TopicArn: OTHER_TOPIC, SubscribeURL: 'https://evil.example.com/confirm', Token: 't' } as Partial<SnsMessage>), /not configured/, false],
  ];

  it.each(cases)('%s: 403, logged with the reason, nothing stored or queued', async (kind, message, reason, fetchesCert) => {
    const { send, base, certFetches, calls } = setup();
    const res = await send(message());
    expect(res.status).toBe(403);
    // One answer for every kind: the reason is in the log only.
    expect(await res.json()).toEqual({ error: SNS_FORBIDDEN });
    expect(base.log.lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'sns message refused', status: 403, reason: expect.stringMatching(reason) })]);
    expect(base.queue.jobs).toEqual([]);
    expect(calls()).toEqual([]);
    // The certificate is fetched only from the topic's own SNS endpoint, and only when needed.
    expect(certFetches.every((u) => u.startsWith('https://sns.eu-west-1.amazonaws.com/'))).toBe(true);
    if (!fetchesCert) expect(certFetches).toEqual([]);
    refused[`sns: ${kind}`] = 1;
  });
});
