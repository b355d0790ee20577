// An alarm storm end to end: 1000 CloudWatch alarms for one service within one minute, as SNS
// deliveries through the alarm function's code (lib/intake/alarm-event.ts), 50 at a time, into the
// store (the same storm on DynamoDB is in test/store and test/functions), the triage run by the real
// worker, its messages paced per channel and sent by the Slack Web API client to the fake Slack,
// which answers the first update with 429 Retry-After. Then the alarm resolves.
//
// One incident, one top-level message (one chat.postMessage without a thread), every write to
// the channel at least a second apart, the 429 waited out, and every alarm counted.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handleAlarmEvent } from '../../lib/intake/alarm-event.ts';
import { memoryLog } from '../support/memory-log.ts';
import { messageToText } from '../../lib/slack/render/console-text.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { testCatalog } from '../support/functions-harness.ts';
import { channelId, FakeSlack } from '../support/fake-slack.ts';
import { countBy, snsAlarm, startWorker, writesByChannel } from '../support/reliability-harness.ts';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  await slack?.stop();
});

it('1000 alarms in one minute: one incident, one thread, paced writes, 429 honoured, every alarm counted', async () => {
  const catalog = testCatalog();
  const clock = { now: Date.parse('2026-11-23T05:00:00Z') };
  const store = new MemoryStore({ now: () => clock.now });
  const log = memoryLog();
  // The database is unreachable and the service has no dump sources: triage is quick and says so.
  const worker = startWorker({ catalog, store, slack, log, gather: { env: { ORDERS_DATABASE_URL: 'postgres://leakhound@127.0.0.1:1/orders' }, cloudwatch: null } });
  const ingest = { catalog, store, queue: worker.queue, retriageSeconds: 900, log };
  slack.rateLimit('chat.update', 1, 1);

  const started = Date.now();
  const outcomes: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const deliveries = Array.from({ length: 50 }, () => {
      clock.now += 60; // 1000 alarms over 60 s of the store's clock
      return handleAlarmEvent(snsAlarm(), ingest);
    });
    for (const r of await Promise.all(deliveries)) outcomes.push(...r.routes.map((x) => x.outcome));
  }
  const stormMs = Date.now() - started;
  await worker.queue.drain();
  clock.now += 60_000;
  const ok = await handleAlarmEvent(snsAlarm({ NewStateValue: 'OK', OldStateValue: 'ALARM', NewStateReason: 'Threshold Crossed: back to normal' }), ingest);
  expect(ok.routes.map((r) => r.outcome)).toEqual(['resolved']);
  await worker.queue.drain();
  await worker.poster.flush();

  // Every alarm counted, on one incident.
  expect(countBy(outcomes, (o) => o)).toEqual({ opened: 1, joined: 999 });
  const incident = (await store.currentIncident('billing-api', 'db-connections-high'))!;
  expect(incident).toMatchObject({ alarmCount: 1000, state: 'resolved', reopenCount: 0 });
  expect(worker.queue.deadLetters).toEqual([]);

  // One thread: exactly one top-level post, everything else an update of it or a reply in it.
  const billing = channelId('#billing');
  const posts = slack.callsTo('chat.postMessage');
  const top = posts.filter((c) => !c.params['thread_ts']);
  expect(top).toHaveLength(1);
  expect(slack.topLevel()).toHaveLength(1);
  const ts = incident.thread!.ts;
  expect(posts.every((c) => !c.params['thread_ts'] || c.params['thread_ts'] === ts)).toBe(true);
  expect(slack.callsTo('chat.update').every((c) => c.params['ts'] === ts)).toBe(true);
  const final = slack.messages.get(ts)!;
  expect(messageToText({ text: final.text, blocks: final.blocks as never })).toMatch(/resolved[\s\S]*fired 1000 times/);

  // Within Slack's limit: at most one write a second per channel, the 429's Retry-After waited out.
  const writes = writesByChannel(slack.calls).get(billing)!;
  const gaps = writes.slice(1).map((w, i) => w.at - writes[i]!.at);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(990);
  const limited = slack.calls.findIndex((c) => c.status === 429);
  expect(limited).toBeGreaterThanOrEqual(0);
  const retry = slack.calls.slice(limited + 1).find((c) => c.method === 'chat.update')!;
  expect(retry.at - slack.calls[limited]!.at).toBeGreaterThanOrEqual(1000);

  const byMethod = countBy(slack.calls, (c) => `${c.method}${c.status === 200 ? '' : ` (${c.status})`}`);
  console.log(
    `storm: 1000 alarms recorded in ${stormMs} ms → 1 incident (count ${incident.alarmCount}), ${outcomes.length} deliveries; ` +
      `Slack calls for the whole storm: ${slack.calls.length} ${JSON.stringify(byMethod)}; writes to the channel ${writes.length}, ` +
      `smallest gap ${Math.min(...gaps)} ms; 429 retried after ${retry.at - slack.calls[limited]!.at} ms`,
  );
});
