// The webhook app, through Hono's app.request and through the Lambda handler with API Gateway v2
// events: authentication per source, the body limit, validation errors naming the field, and
// Alertmanager/Grafana payloads becoming incidents and jobs.
import { afterEach, describe, expect, it } from 'vitest';
import { handle } from 'hono/aws-lambda';
import { handler as lambdaHandler } from '../../functions/webhook.ts';
import { createWebhookApp, type WebhookDeps } from '../../lib/webhook/app.ts';
import { webhookContext } from '../../lib/wiring/webhook.ts';
import { GRAFANA_SIGNATURE_HEADER, GRAFANA_TIMESTAMP_HEADER, hmacHex, sourceAuth } from '../../lib/webhook/source-auth.ts';
import { SnsVerifier } from '../../lib/webhook/sns-signature.ts';
import { captureStdio } from '../support/stdio.ts';
import { fixtureText, httpApiEvent, ingestDeps, lambdaContext, TOPIC } from '../support/functions-harness.ts';

const AM_TOKEN = 'am-token-0123456789';
const GRAFANA_TOKEN = 'grafana-token-0123456789';
const GRAFANA_HMAC = 'grafana-hmac-secret-0123456789';
const MAX = 64 * 1024;

function setup(overrides: Partial<WebhookDeps> = {}) {
  const base = ingestDeps();
  const deps: WebhookDeps = {
    ...base,
    auth: { alertmanager: sourceAuth(AM_TOKEN), grafana: sourceAuth(GRAFANA_TOKEN, GRAFANA_HMAC) },
    sns: new SnsVerifier({ topicArns: [TOPIC], fetchCert: async () => 'never fetched here' }),
    confirm: async () => '',
    ...overrides,
  };
  const app = createWebhookApp({ deps: async () => deps, maxBodyBytes: MAX, log: base.log });
  return { app, deps, store: base.store, queue: base.queue, log: base.log };
}

const post = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

afterEach(() => webhookContext.set(null));

describe('webhook app: authentication', () => {
  const alertmanager = fixtureText('alertmanager-v4-mixed.json');

  it('answers 401 without credentials and 403 with a wrong token, before reading the payload', async () => {
    const { app, queue } = setup();
    const none = await app.request('/webhooks/alertmanager', post(alertmanager));
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: expect.stringMatching(/missing credentials/) });
    const wrong = await app.request('/webhooks/alertmanager', post(alertmanager, bearer('am-token-0123456780')));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ error: 'wrong token' });
    const malformed = await app.request('/webhooks/alertmanager', post(alertmanager, { authorization: `Token ${AM_TOKEN}` }));
    expect(malformed.status).toBe(401);
    expect(queue.jobs).toHaveLength(0);
  });

  it('refuses a source with no credentials configured', async () => {
    const { app } = setup({ auth: { alertmanager: null, grafana: null } });
    const res = await app.request('/webhooks/alertmanager', post(alertmanager, bearer(AM_TOKEN)));
    expect(res.status).toBe(403);
    expect((await res.json()) as { error: string }).toEqual({ error: expect.stringMatching(/not enabled/) });
  });

  it("checks Grafana's HMAC signature (body, or timestamp:body) and its timestamp window", async () => {
    const { app } = setup();
    const body = fixtureText('grafana-unified-mixed.json');
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = await app.request('/webhooks/grafana', post(body, { [GRAFANA_SIGNATURE_HEADER]: hmacHex(GRAFANA_HMAC, body, ts), [GRAFANA_TIMESTAMP_HEADER]: ts }));
    expect(signed.status).toBe(200);
    const bodyOnly = await app.request('/webhooks/grafana', post(body, { [GRAFANA_SIGNATURE_HEADER]: hmacHex(GRAFANA_HMAC, body) }));
    expect(bodyOnly.status).toBe(200);
    const tampered = await app.request('/webhooks/grafana', post(body.replace('"firing"', '"resolved"'), { [GRAFANA_SIGNATURE_HEADER]: hmacHex(GRAFANA_HMAC, body) }));
    expect(tampered.status).toBe(403);
    expect(await tampered.json()).toEqual({ error: 'bad signature' });
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const replayed = await app.request('/webhooks/grafana', post(body, { [GRAFANA_SIGNATURE_HEADER]: hmacHex(GRAFANA_HMAC, body, old), [GRAFANA_TIMESTAMP_HEADER]: old }));
    expect(replayed.status).toBe(403);
    const wrongKey = await app.request('/webhooks/grafana', post(body, { [GRAFANA_SIGNATURE_HEADER]: hmacHex('another-secret', body) }));
    expect(wrongKey.status).toBe(403);
  });

  it('also takes a bearer token for Grafana', async () => {
    const { app } = setup();
    const res = await app.request('/webhooks/grafana', post(fixtureText('grafana-unified-mixed.json'), bearer(GRAFANA_TOKEN)));
    expect(res.status).toBe(200);
    expect((await app.request('/webhooks/grafana', post('{}', bearer(AM_TOKEN)))).status).toBe(403);
  });
});

describe('webhook app: payloads', () => {
  it('records an Alertmanager payload: incidents opened or resolved, triage jobs queued', async () => {
    const { app, store, queue } = setup();
    const res = await app.request('/webhooks/alertmanager', post(fixtureText('alertmanager-v4-mixed.json'), bearer(AM_TOKEN)));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, number>;
    expect(body['accepted']).toBeGreaterThanOrEqual(2);
    const open = await store.listOpenIncidents();
    expect(open.map((i) => i.service)).toContain('billing-api');
    expect(queue.jobs.filter((j) => j.type === 'triage').map((j) => j.service)).toContain('billing-api');
    expect(body['jobs']).toBe(queue.jobs.length);
  });

  it('records a Grafana payload', async () => {
    const { app, store, queue } = setup();
    const res = await app.request('/webhooks/grafana', post(fixtureText('grafana-unified-mixed.json'), bearer(GRAFANA_TOKEN)));
    expect(res.status).toBe(200);
    expect((await store.listOpenIncidents()).map((i) => i.service)).toContain('web');
    expect(queue.jobs.some((j) => j.service === 'web')).toBe(true);
  });

  it('answers 400 for malformed JSON and for a schema error, naming the field', async () => {
    const { app } = setup();
    const broken = await app.request('/webhooks/alertmanager', post('{"alerts": [', bearer(AM_TOKEN)));
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/not JSON/);
    const payload = JSON.parse(fixtureText('alertmanager-v4-mixed.json')) as { alerts: Array<Record<string, unknown>> };
    payload.alerts[1]!['status'] = 'exploded';
    const invalid = await app.request('/webhooks/alertmanager', post(JSON.stringify(payload), bearer(AM_TOKEN)));
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: string }).error).toMatch(/alerts\[1\]\.status/);
    const empty = await app.request('/webhooks/alertmanager', post('{"alerts": []}', bearer(AM_TOKEN)));
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toMatch(/alerts/);
  });

  it('answers 413 for a body over the limit', async () => {
    const { app, queue } = setup();
    const big = JSON.stringify({ alerts: [], padding: 'x'.repeat(MAX) });
    const res = await app.request('/webhooks/alertmanager', post(big, bearer(AM_TOKEN)));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: `body larger than ${MAX} bytes` });
    expect(queue.jobs).toHaveLength(0);
  });

  it('answers 503 (so the sender retries) when the store is down, and never leaks the cause', async () => {
    const { app, store } = setup();
    store.recordAlarm = async () => {
      throw new Error('ProvisionedThroughputExceededException at arn:aws:dynamodb:…');
    };
    const res = await app.request('/webhooks/alertmanager', post(fixtureText('alertmanager-v4-mixed.json'), bearer(AM_TOKEN)));
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.json())).not.toMatch(/Provisioned|arn:/);
  });

  it('answers JSON 404s, a health check, and 503 when not configured', async () => {
    const { app } = setup();
    const missing = await app.request('/webhooks/pagerduty', post('{}'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for POST /webhooks/pagerduty' });
    const health = await app.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', services: 3 });
    const broken = createWebhookApp({ deps: async () => Promise.reject(new Error('LEAKHOUND_TABLE is not set')), maxBodyBytes: MAX, log: setup().log });
    const unconfigured = await broken.request('/healthz');
    expect(unconfigured.status).toBe(503);
    expect(await unconfigured.json()).toEqual({ error: 'leakhound is not configured; see the function logs' });
  });
});

describe('webhook Lambda handler (API Gateway HTTP API v2 events)', () => {
  it('accepts an Alertmanager delivery and refuses a bad token', async () => {
    const { app, queue } = setup();
    const lambda = handle(app);
    const body = fixtureText('alertmanager-v4-mixed.json');
    const ok = await lambda(httpApiEvent('POST', '/webhooks/alertmanager', body, { 'content-type': 'application/json', ...bearer(AM_TOKEN) }), lambdaContext);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ accepted: expect.any(Number) });
    expect(queue.jobs.length).toBeGreaterThan(0);
    const refused = await lambda(httpApiEvent('POST', '/webhooks/alertmanager', body, bearer('nope')), lambdaContext);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers?.['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(refused.body)).toEqual({ error: 'wrong token' });
  });

  it('decodes a base64 body, and answers 413 and 400 like the app', async () => {
    const { app } = setup();
    const lambda = handle(app);
    const body = fixtureText('grafana-unified-mixed.json');
    const b64 = await lambda(httpApiEvent('POST', '/webhooks/grafana', Buffer.from(body).toString('base64'), bearer(GRAFANA_TOKEN), true), lambdaContext);
    expect(b64.statusCode).toBe(200);
    const big = await lambda(httpApiEvent('POST', '/webhooks/grafana', 'x'.repeat(MAX + 1), bearer(GRAFANA_TOKEN)), lambdaContext);
    expect(big.statusCode).toBe(413);
    const bad = await lambda(httpApiEvent('POST', '/webhooks/grafana', '[1,2', bearer(GRAFANA_TOKEN)), lambdaContext);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/not JSON/);
  });

  it('serves functions/webhook.ts with the shared context', async () => {
    const { deps, queue } = setup();
    webhookContext.set(deps);
    const health = await lambdaHandler(httpApiEvent('GET', '/healthz', null), lambdaContext);
    expect(health.statusCode).toBe(200);
    const out = captureStdio();
    let res: Awaited<ReturnType<typeof lambdaHandler>>;
    try {
      res = await lambdaHandler(httpApiEvent('POST', '/webhooks/alertmanager', fixtureText('alertmanager-v4-mixed.json'), bearer(AM_TOKEN)), lambdaContext);
    } finally {
      out.restore();
    }
    expect(res.statusCode).toBe(200);
    expect(queue.jobs.length).toBeGreaterThan(0);
    // The function's Powertools log: API Gateway's request id is the correlation id.
    expect(out.json()).toContainEqual(expect.objectContaining({ component: 'webhook', message: 'alerts recorded', correlation_id: 'Jx1AbCdEoAMEV7g=', function_request_id: lambdaContext.awsRequestId }));
  });
});
