// Whatever happens, no raw query text and no secret (bot token, signing secret, database
// password) leaves in any Slack call. One busy scenario through every path, then every recorded
// request body is searched.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSlackClient } from '../../lib/slack/post/web-client.ts';
import { ACTIONS } from '../../lib/slack/render/action-ids.ts';
import { IncidentPoster } from '../../lib/slack/post/poster.ts';
import { WebApiSink } from '../../lib/slack/post/sink.ts';
import { BOT_TOKEN, SIGNING_SECRET, blockActionBody, commandBody } from '../support/slack-events.ts';
import { channelId } from '../support/fake-slack.ts';
import { DB_PASSWORD, RAW_LITERALS, RAW_QUERIES, harness, oversizedReport, sampleReport, type Harness } from '../support/slack-harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

it('no raw query text or secret in any recorded Slack call, across commands, clicks, approvals and reports', async () => {
  const worker = new IncidentPoster({
    sink: new WebApiSink(createSlackClient(BOT_TOKEN, { slackApiUrl: h.slack.apiUrl }), { secrets: [DB_PASSWORD, SIGNING_SECRET] }),
    store: h.store,
    channelOf: (s) => h.catalog.services.find((x) => x.name === s)?.slackChannel ?? h.catalog.defaults.slackChannel,
    pacer: { minIntervalMs: 0 },
  });
  const incident = (await h.store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' })).incident!;

  // Reports that carry every secret somewhere a careless renderer would copy it from.
  const leaky = sampleReport({
    gaps: [
      ...sampleReport().gaps,
      { source: 'catalog', target: 'slack', reason: `auth failed for token ${BOT_TOKEN} (signing secret ${SIGNING_SECRET})` },
      { source: 'sessions', target: 'dsn', reason: `host=db user=app password=${DB_PASSWORD} dbname=billing` },
    ],
  });
  const progress = worker.progressReporter(incident);
  progress({ stage: 'sessions', text: `reading sessions of postgres://app:${DB_PASSWORD}@db/billing`, done: false });
  await worker.report(incident, leaky, { graph: { png: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]) } });
  await worker.report(incident, oversizedReport(), { requestedBy: 'UASKER' });
  await worker.answerReport(leaky, { incident: null, replyTo: { channel: 'C0ASKED001', user: 'UASKER' } });
  await worker.flush();
  const thread = (await h.store.getIncident(incident.id))!.thread!;

  // Commands and clicks through the Lambda handler.
  const answers: string[] = [];
  for (const text of ['help', 'status', 'triage billing-api', 'nope', `triage ${BOT_TOKEN}`, `${BOT_TOKEN} now`, 'restart ledger']) answers.push((await h.send(commandBody(text))).body);
  await h.send(blockActionBody({ user: 'UREQUESTER', actionId: ACTIONS.restart, value: `i:${incident.id}`, channel: thread.channel, messageTs: thread.ts }));
  const request = h.slack.replies(thread.ts).find((m) => JSON.stringify(m.blocks).includes(ACTIONS.approve))!;
  const approvalId = JSON.stringify(request.blocks).match(/"value":"a:(apr_[^"]+)"/)![1]!;
  for (const user of ['UREQUESTER', 'URANDOM', 'UGROUPMEMBER', 'UAPPROVER1']) {
    await h.send(blockActionBody({ user, actionId: ACTIONS.approve, value: `a:${approvalId}`, channel: thread.channel, messageTs: request.ts }));
  }
  await h.send(blockActionBody({ user: 'UASKER', actionId: ACTIONS.silence, value: `i:${incident.id}`, channel: thread.channel, messageTs: thread.ts }));
  await h.queue.inner.drain();

  const calls = h.slack.calls;
  const byMethod = calls.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.method]: (acc[c.method] ?? 0) + 1 }), {});
  console.log(`recorded ${calls.length} Slack calls: ${JSON.stringify(byMethod)}`);
  expect(calls.length).toBeGreaterThan(15);
  expect(byMethod['chat.postMessage']).toBeGreaterThan(3);
  expect(byMethod['chat.update']).toBeGreaterThan(0);
  expect(byMethod['chat.postEphemeral']).toBeGreaterThan(0);
  expect(byMethod['files.completeUploadExternal']).toBe(1);

  const forbidden = [BOT_TOKEN, SIGNING_SECRET, DB_PASSWORD, ...RAW_LITERALS, ...RAW_QUERIES];
  for (const call of calls) {
    const seen = [call.raw, decodeURIComponent(call.raw.replace(/\+/g, ' ')), JSON.stringify(call.params)].join('\n');
    for (const secret of forbidden) expect(seen, `${call.method} carried ${secret.slice(0, 12)}…`).not.toContain(secret);
  }
  // Nor in the answers to commands (ephemeral, in the HTTP response), even when pasted in them.
  for (const a of answers) for (const secret of forbidden) expect(a).not.toContain(secret);
  // The token travels only where it belongs: the Authorization header.
  expect(calls.filter((c) => c.method !== 'upload').every((c) => c.authorization === `Bearer ${BOT_TOKEN}`)).toBe(true);
  // And what was said instead is still useful.
  expect(JSON.stringify(calls.map((c) => c.params))).toContain('postgres://billing:[redacted]@db.internal');
  expect(channelId('#billing-oncall')).toBe(thread.channel);
});
