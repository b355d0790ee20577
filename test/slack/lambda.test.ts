// The Lambda handler end to end: real API Gateway v2 events signed with a real HMAC go through
// Bolt's AwsLambdaReceiver to our listeners; the Web API is the local fake; the store and the
// queue are the in-memory ones.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageToText } from '../../lib/slack/render/console-text.ts';
import { ACTIONS } from '../../lib/slack/render/action-ids.ts';
import { SIGNING_SECRET, apiGatewayEvent, blockActionBody, commandBody, sign } from '../support/slack-events.ts';
import { harness, type Harness } from '../support/slack-harness.ts';
import { captureStdio } from '../support/stdio.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const answer = (res: { body: string }) => JSON.parse(res.body) as { response_type: string; text: string; blocks: never[] };
const answerText = (res: { body: string }) => {
  const a = answer(res);
  return messageToText({ text: a.text, blocks: a.blocks });
};

describe('request verification (Bolt AwsLambdaReceiver)', () => {
  it('refuses a forged signature with 401 and does nothing', async () => {
    const body = commandBody('triage billing-api');
    const forged = await h.send(body, { secret: 'not-the-signing-secret' });
    expect(forged.statusCode).toBe(401);
    const garbage = await h.send(body, { signature: 'v0=' + '0'.repeat(64) });
    expect(garbage.statusCode).toBe(401);
    const missing = await h.handler({ ...apiGatewayEvent(body), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(missing.statusCode).toBe(401);
    // The body was signed, then changed in transit.
    const ts = Math.floor(Date.now() / 1000);
    const tampered = await h.send(commandBody('restart billing-api'), { signature: sign(body, SIGNING_SECRET, ts), timestamp: ts });
    expect(tampered.statusCode).toBe(401);
    await h.queue.inner.drain();
    expect(h.queue.jobs).toHaveLength(0);
    expect(await h.store.listAudit(null)).toHaveLength(0);
  });

  it('refuses a replayed request (timestamp over 5 minutes old) with 401, even with a valid signature', async () => {
    const body = commandBody('triage billing-api');
    const stale = Math.floor(Date.now() / 1000) - 5 * 60 - 5;
    const res = await h.send(body, { timestamp: stale });
    expect(res.statusCode).toBe(401);
    const fresh = await h.send(body, { timestamp: Math.floor(Date.now() / 1000) - 60 });
    expect(fresh.statusCode).toBe(200);
  });

  it('answers 400, not a crash, to a body that is not JSON', async () => {
    const body = 'payload={not json';
    const ev = apiGatewayEvent(body);
    ev.headers['content-type'] = 'application/json';
    const res = await h.handler(ev);
    expect(res.statusCode).toBe(400);
  });
});

describe('/leak', () => {
  it('help lists subcommands and services, ephemerally', async () => {
    const res = await h.send(commandBody('help'));
    expect(res.statusCode).toBe(200);
    expect(answer(res).response_type).toBe('ephemeral');
    const text = answerText(res);
    expect(text).toContain('/leak triage <service>');
    expect(text).toContain('`billing-api`, `checkout`, `ledger`');
  });

  it('unknown subcommand or service: an ephemeral answer listing what exists, no job', async () => {
    const sub = await h.send(commandBody('frobnicate billing-api'));
    expect(answer(sub).response_type).toBe('ephemeral');
    expect(answerText(sub)).toContain('Unknown subcommand `frobnicate`');
    expect(answerText(sub)).toContain('/leak restart <service>');
    const svc = await h.send(commandBody('triage nope'));
    expect(answerText(svc)).toContain('No service `nope` in the catalog. Known services: `billing-api`, `checkout`, `ledger`');
    const none = await h.send(commandBody('dump'));
    expect(answerText(none)).toContain('`/leak dump` needs a service');
    await h.queue.inner.drain();
    expect(h.queue.jobs).toHaveLength(0);
    // Answered in the ack: no Web API call at all.
    expect(h.slack.calls.filter((c) => c.method !== 'auth.test')).toHaveLength(0);
  });

  it('triage/sessions/dump queue one triage job each and answer at once', async () => {
    for (const [text, scope] of [
      ['triage billing-api', 'full'],
      ['sessions checkout', 'sessions'],
      ['dump BILLING-API', 'dump'],
    ] as const) {
      const res = await h.send(commandBody(text, { user: 'UASKER', channel: 'C0ASKED001' }));
      expect(res.statusCode).toBe(200);
      expect(answerText(res)).toMatch(/queued; the results will appear here/);
      await h.queue.inner.drain();
      expect(h.queue.jobs.at(-1)).toMatchObject({ type: 'triage', scope, trigger: 'command', requestedBy: 'UASKER', incidentId: null, respondTo: { channel: 'C0ASKED001', user: 'UASKER' } });
    }
  });

  it('with an open incident, the job names it and the answer points at the thread', async () => {
    const { incident } = await h.store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
    const res = await h.send(commandBody('triage billing-api'));
    expect(answerText(res)).toContain('the results go to the open incident thread');
    await h.queue.inner.drain();
    expect(h.queue.jobs[0]).toMatchObject({ type: 'triage', incidentId: incident!.id });
  });

  it('status lists open incidents', async () => {
    await h.store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
    const text = answerText(await h.send(commandBody('status')));
    expect(text).toContain('1 open incident');
    expect(text).toContain('`billing-api` `db-connections-high`');
  });

  it('a Slack retry (same trigger_id, X-Slack-Retry-Num) does not queue the work twice', async () => {
    const body = commandBody('triage billing-api', { triggerId: 'trigger-retried' });
    const first = await h.send(body);
    const retries = await Promise.all([1, 2].map((n) => h.send(body, { retryNum: n })));
    await h.queue.inner.drain();
    expect(first.statusCode).toBe(200);
    for (const r of retries) {
      expect(r.statusCode).toBe(200);
      expect(answerText(r)).toContain('Already on it');
    }
    expect(h.queue.ofType('triage')).toHaveLength(1);
  });
});

describe('ack time', () => {
  it('the handler answers without waiting for the work (a 5 s job), measured and printed (the bench figure), bounded only against waiting for the work', async () => {
    h.queue.workMs = 5_000;
    await h.send(commandBody('help')); // warm-up: first event resolves auth.test
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const res = await h.send(commandBody('triage billing-api'));
      times.push(performance.now() - t0);
      expect(res.statusCode).toBe(200);
    }
    const clickTimes: number[] = [];
    const { incident } = await h.store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await h.send(blockActionBody({ user: 'UASKER', actionId: ACTIONS.rerun, value: `i:${incident!.id}` }));
      clickTimes.push(performance.now() - t0);
      expect(res.statusCode).toBe(200);
    }
    const worst = Math.max(...times, ...clickTimes);
    console.log(`ack: commands median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms; clicks median ${median(clickTimes).toFixed(1)} ms; jobs still running: ${h.queue.inner.size}`);
    // Acked without waiting for the 5 s job (the figures above are the measure; the bound only
    // catches waiting for the work, with room for a loaded machine).
    expect(worst).toBeLessThan(2_000);
    // The work had not finished when the answers went back.
    expect(h.queue.inner.size).toBeGreaterThan(0);
    h.queue.inner.close();
  });

  it('with a slow enqueue (an SQS round trip of 150 ms) the answer waits for the enqueue only, not for the work', async () => {
    h.queue.enqueueMs = 150;
    await h.send(commandBody('help'));
    const t0 = performance.now();
    const res = await h.send(commandBody('triage billing-api'));
    const ms = performance.now() - t0;
    expect(res.statusCode).toBe(200);
    // One enqueue's time, not the job's: well inside Slack's 3 s on a loaded machine.
    expect(ms).toBeLessThan(1_500);
  });

  it('a queue that hangs costs at most the listener budget and gives a clear answer, not a Slack timeout', async () => {
    h.queue.enqueueMs = 60_000;
    await h.send(commandBody('help'));
    const t0 = performance.now();
    const res = await h.send(commandBody('triage billing-api'));
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(2_800);
    expect(answerText(res)).toContain('slow to answer');
  });
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe('API Gateway REST (v1) events', () => {
  it('are verified and answered the same way', async () => {
    const body = commandBody('help');
    const v2 = apiGatewayEvent(body);
    const v1 = {
      body,
      headers: v2.headers,
      multiValueHeaders: {},
      httpMethod: 'POST',
      isBase64Encoded: false,
      path: '/slack/events',
      pathParameters: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: {},
      resource: '/slack/events',
    };
    const ok = await h.handler(v1);
    expect(ok.statusCode).toBe(200);
    expect(answer(ok).response_type).toBe('ephemeral');
    const forged = await h.handler({ ...v1, body: commandBody('restart billing-api') });
    expect(forged.statusCode).toBe(401);
  });
});

describe('functions/slack.ts', () => {
  it('a container without its configuration answers 500 and says why in the log, without crashing', async () => {
    const saved = { ...process.env };
    for (const k of ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'LEAKHOUND_CONFIG', 'LEAKHOUND_TABLE', 'LEAKHOUND_QUEUE_URL']) delete process.env[k];
    const out = captureStdio();
    try {
      const { handler } = await import('../../functions/slack.ts');
      expect(handler.length).toBe(2);
      const res = await handler(apiGatewayEvent(commandBody('help')), {});
      expect(res.statusCode).toBe(500);
      expect(out.json()).toContainEqual(
        expect.objectContaining({
          level: 'ERROR',
          component: 'slack',
          message: 'not configured',
          reason: expect.stringContaining('missing or invalid: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, LEAKHOUND_CONFIG, LEAKHOUND_TABLE, LEAKHOUND_QUEUE_URL'),
        }),
      );
    } finally {
      out.restore();
      process.env = saved;
    }
  });
});
