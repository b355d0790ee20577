// The worker side: one top message per incident (created once, updated in place), details and
// the graph in the thread, writes paced per channel, 429s waited out, and the console sink.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackClient } from '../../lib/slack/post/web-client.ts';
import { messageToText } from '../../lib/slack/render/console-text.ts';
import { plainMessage, type SlackMessage } from '../../lib/slack/render/block-kit.ts';
import { deliverNotifications } from '../../lib/slack/post/notify.ts';
import { ChannelPacer } from '../../lib/slack/post/pacer.ts';
import { IncidentPoster } from '../../lib/slack/post/poster.ts';
import { SILENCE_ACTION, silenceResult } from '../../lib/slack/app/silence.ts';
import { ConsoleSink, WebApiSink, type FileUpload, type PostTarget, type SlackSink } from '../../lib/slack/post/sink.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import type { Incident } from '../../lib/store/model.ts';
import { BOT_TOKEN } from '../support/slack-events.ts';
import { FakeSlack, channelId } from '../support/fake-slack.ts';
import { sampleReport, testCatalog } from '../support/slack-harness.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 2048 }, (_, i) => i % 251)]);
const catalog = testCatalog();
const channelOf = (s: string) => catalog.services.find((x) => x.name === s)?.slackChannel ?? catalog.defaults.slackChannel;
const BILLING = channelId('#billing-oncall');

let slack: FakeSlack;
let store: MemoryStore;
beforeEach(async () => {
  slack = await new FakeSlack().start();
  store = new MemoryStore();
});
afterEach(async () => {
  await slack.stop();
});

const client = () => createSlackClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, timeoutMs: 3_000, retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 50 } });

/** A virtual clock for the pacer: sleeping advances it at once, so pacing is checked without waiting. */
function virtualTime() {
  const t = { now: 1_000_000 };
  return { t, pacer: new ChannelPacer({ minIntervalMs: 1000, now: () => t.now, sleep: async (ms) => void (t.now += ms) }) };
}

/** Wraps a sink to record when (on the virtual clock) each write happened. */
class TimedSink implements SlackSink {
  readonly writes: Array<{ op: string; channel: string; at: number }> = [];
  constructor(
    private readonly inner: SlackSink,
    private readonly now: () => number,
  ) {}
  private note(op: string, channel: string) {
    this.writes.push({ op, channel, at: this.now() });
  }
  post(t: PostTarget, m: SlackMessage) {
    this.note(t.threadTs ? 'reply' : 'post', t.channel);
    return this.inner.post(t, m);
  }
  update(c: string, ts: string, m: SlackMessage) {
    this.note('update', c);
    return this.inner.update(c, ts, m);
  }
  ephemeral(c: string, u: string, m: SlackMessage, th?: string) {
    this.note('ephemeral', c);
    return this.inner.ephemeral(c, u, m, th);
  }
  delete(c: string, ts: string) {
    this.note('delete', c);
    return this.inner.delete(c, ts);
  }
  upload(f: FileUpload) {
    this.note('upload', f.channel);
    return this.inner.upload(f);
  }
}

async function openIncident(service = 'billing-api'): Promise<Incident> {
  return (await store.recordAlarm({ service, kind: 'db-connections-high', state: 'alarm' })).incident!;
}

describe('incident messages', () => {
  it('progress creates the top message once, then updates it; the report lands on top and in the thread with the graph', async () => {
    const incident = await openIncident();
    const poster = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    const progress = poster.progressReporter(incident, 'billing-db-connections-high');
    progress({ stage: 'sessions', text: 'reading sessions', done: false });
    progress({ stage: 'dumps', text: 'fetching dumps 7/12', done: false });
    await poster.flush();
    progress({ stage: 'sessions', text: 'read 97 sessions', done: true });
    await poster.flush();
    await poster.report(incident, sampleReport(), { graph: { png: PNG } });
    await poster.flush();

    const tops = slack.topLevel();
    expect(tops).toHaveLength(1);
    const top = tops[0]!;
    expect(top.channel).toBe(BILLING);
    expect((await store.getIncident(incident.id))!.thread).toEqual({ channel: BILLING, ts: top.ts });
    // Updated in place: last progress, then the summary.
    expect(top.updates).toBeGreaterThanOrEqual(2);
    expect(messageToText({ text: top.text, blocks: top.blocks as never })).toContain('billing-api: Transaction leak in route=/transfer');
    expect((top.metadata as { event_payload: { incident_id: string } }).event_payload.incident_id).toBe(incident.id);
    const replies = slack.replies(top.ts);
    expect(replies).toHaveLength(1);
    expect(messageToText({ text: replies[0]!.text, blocks: replies[0]!.blocks as never })).toContain('Replicas (1)');
    // filesUploadV2: get URL → upload bytes → complete, into the thread.
    const steps = slack.calls.filter((c) => c.method.startsWith('files.') || c.method === 'upload').map((c) => c.method);
    expect(steps).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    const complete = slack.callsTo('files.completeUploadExternal')[0]!;
    expect(complete.params).toMatchObject({ channel_id: BILLING, thread_ts: top.ts });
    expect([...slack.uploads.values()].find((u) => u.bytes > 0)!.bytes).toBeGreaterThan(PNG.byteLength);
    // Never response_url: every write is a Web API method.
    expect(new Set(slack.calls.map((c) => c.method))).toEqual(new Set(['chat.postMessage', 'chat.update', 'files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']));
  });

  it('the verdict stays on top: progress decided before it but slower to arrive, or reported after it, never replaces it', async () => {
    const incident = await openIncident();
    // The first store read (the progress update's) answers only after the verdict is out.
    let reads = 0;
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slowFirstRead = Object.assign(Object.create(store) as MemoryStore, {
      getIncident: async (id: string) => {
        if (reads++ === 0) await gate;
        return store.getIncident(id);
      },
    });
    await store.setThread(incident.id, (await new WebApiSink(client()).post({ channel: BILLING }, plainMessage('starting'))));
    const poster = new IncidentPoster({ sink: new WebApiSink(client()), store: slowFirstRead, channelOf, pacer: { minIntervalMs: 0 } });
    const progress = poster.progressReporter(incident);
    progress({ stage: 'sessions', text: 'reading sessions', done: false });
    await poster.report(incident, sampleReport());
    release();
    progress({ stage: 'dumps', text: 'fetching dumps 1/1', done: true }); // a source past the deadline
    await poster.flush();
    const top = slack.topLevel()[0]!;
    const text = messageToText({ text: top.text, blocks: top.blocks as never });
    expect(text).toContain('Transaction leak in route=/transfer');
    expect(text).toContain('[ Restart');
    expect(text).not.toContain('triage running');
    // A new triage of the same incident (Re-run) shows its progress again.
    poster.progressReporter(incident)({ stage: 'sessions', text: 'reading sessions', done: false });
    await poster.flush();
    expect(slack.topLevel()[0]!.text).toContain('triage running');
  });

  it('two workers racing to open the thread: one top message survives (conditional thread set), the other is deleted', async () => {
    const incident = await openIncident();
    const a = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    const b = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    const [ta, tb] = await Promise.all([a.top(incident, plainMessage('from a')), b.top(incident, plainMessage('from b'))]);
    expect(ta).toEqual(tb);
    expect(slack.topLevel()).toHaveLength(1);
    expect(slack.callsTo('chat.delete')).toHaveLength(1);
    // Same poster, many concurrent calls: one post.
    const other = await openIncident('ledger');
    const c = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.top(other, plainMessage(`update ${i}`))));
    expect(slack.topLevel(channelId('#leakhound'))).toHaveLength(1);
  });

  it('an alarm storm never floods the channel: ≤ 1 write per second, progress coalesced, one top message', async () => {
    const { t, pacer } = virtualTime();
    const sink = new TimedSink(new WebApiSink(client()), () => t.now);
    const poster = new IncidentPoster({ sink, store, channelOf, pacer, now: () => t.now });
    const incident = await openIncident();
    // 200 progress events and 20 re-fired alarms' reports, all at once.
    const progress = poster.progressReporter(incident);
    for (let i = 0; i < 200; i++) progress({ stage: 'dumps', text: `fetching dumps ${i}/200`, done: i === 199 });
    const reports = [];
    for (let i = 0; i < 20; i++) {
      const joined = (await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' })).incident!;
      reports.push(poster.top(joined, plainMessage(`fired ${joined.alarmCount} times`)));
    }
    await Promise.all(reports);
    await poster.flush();
    const writes = sink.writes.filter((w) => w.channel === '#billing-oncall' || w.channel === BILLING);
    const gaps = writes.slice(1).map((w, i) => w.at - writes[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
    expect(slack.topLevel()).toHaveLength(1);
    // 220 requested changes of one message became a handful of writes.
    expect(writes.length).toBeLessThanOrEqual(4);
    console.log(`storm: 220 changes → ${writes.length} writes (${writes.map((w) => w.op).join(', ')}) over ${(writes.at(-1)!.at - writes[0]!.at) / 1000} s virtual`);
    expect(messageToText({ text: slack.topLevel()[0]!.text, blocks: slack.topLevel()[0]!.blocks as never })).toContain('fired 21 times');
  });

  it('resolved updates the top message in place and notes it in the thread', async () => {
    const incident = await openIncident();
    const poster = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    await poster.report(incident, sampleReport());
    const resolved = (await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'ok' })).incident!;
    await poster.resolved(resolved, { lastHeadline: 'Transaction leak in route=/transfer' });
    await poster.flush();
    const top = slack.topLevel()[0]!;
    expect(slack.topLevel()).toHaveLength(1);
    expect(messageToText({ text: top.text, blocks: top.blocks as never })).toContain('billing-api: resolved');
    expect(slack.replies(top.ts).map((m) => m.text)).toContain('✅ Resolved: the alarm is back to normal.'.replace('✅', ':white_check_mark:'));
  });

  it('while silenced, alarm-driven reports update the top message only; a person asking still gets details', async () => {
    const incident = await openIncident();
    await store.appendAudit({ actor: 'U1', action: SILENCE_ACTION, target: 'billing-api', incidentId: incident.id, result: silenceResult(new Date(Date.now() + 3_600_000)) });
    const poster = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    await poster.report(incident, sampleReport(), { graph: { png: PNG } });
    const top = slack.topLevel()[0]!;
    expect(slack.replies(top.ts)).toHaveLength(0);
    await poster.report(incident, sampleReport(), { requestedBy: 'U2' });
    expect(slack.replies(top.ts)).toHaveLength(1);
  });

  it('a command result without an incident goes only to the asker (chat.postEphemeral)', async () => {
    const poster = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    await poster.answerReport(sampleReport(), { incident: null, replyTo: { channel: 'C0ASKED001', user: 'UASKER' } });
    const call = slack.callsTo('chat.postEphemeral')[0]!;
    expect(call.params).toMatchObject({ channel: 'C0ASKED001', user: 'UASKER' });
    expect(slack.topLevel()).toHaveLength(0);
  });

  it('notifications for a missing incident are reported, the rest delivered', async () => {
    const poster = new IncidentPoster({ sink: new WebApiSink(client()), store, channelOf, pacer: { minIntervalMs: 0 } });
    const r = await deliverNotifications(
      [
        { to: 'thread', incidentId: 'gone', message: plainMessage('x') },
        { to: 'channel', channel: 'C0CHECKOUT1', message: plainMessage('hello') },
      ],
      { poster, store },
    );
    expect(r).toEqual({ sent: 1, failed: ['thread: incident gone not found'] });
  });
});

describe('Web API behaviour', () => {
  it('429 with Retry-After is waited out and retried by WebClient, the message posted once', async () => {
    slack.rateLimit('chat.postMessage', 1, 1);
    const sink = new WebApiSink(client());
    const t0 = Date.now();
    const posted = await sink.post({ channel: 'C0CHECKOUT1' }, plainMessage('after the limit'));
    const waited = Date.now() - t0;
    expect(posted.ts).toBeTruthy();
    const attempts = slack.calls.filter((c) => c.method === 'chat.postMessage');
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(990);
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(slack.topLevel()).toHaveLength(1);
  });

  it('with rejectRateLimitedCalls (listener clients) a 429 fails fast instead of waiting', async () => {
    slack.rateLimit('chat.postMessage', 30, 1);
    const fast = createSlackClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 1, minTimeout: 10 } });
    const t0 = Date.now();
    await expect(new WebApiSink(fast).post({ channel: 'C0CHECKOUT1' }, plainMessage('x'))).rejects.toThrow(/rate/i);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('every call has a timeout: a Slack that does not answer fails within it', async () => {
    slack.delayMs = 5_000;
    const slow = createSlackClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, timeoutMs: 200, retryConfig: { retries: 0 } });
    const t0 = Date.now();
    await expect(new WebApiSink(slow).post({ channel: 'C0CHECKOUT1' }, plainMessage('x'))).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(1_500);
    slack.delayMs = 0;
  });

  it('a message Slack would refuse is never sent: the fake checks every post against Block Kit limits', async () => {
    const sink = new WebApiSink(client());
    const bad: SlackMessage = { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' as const })) };
    await expect(sink.post({ channel: 'C0CHECKOUT1' }, bad)).rejects.toThrow(/invalid_blocks/);
  });
});

describe('console sink', () => {
  it('prints what Slack would get, as readable text, with where it went', async () => {
    let out = '';
    const poster = new IncidentPoster({ sink: new ConsoleSink({ write: (s) => void (out += s) }), store, channelOf, pacer: { minIntervalMs: 0 } });
    const incident = await openIncident();
    poster.progressReporter(incident)({ stage: 'sessions', text: 'reading sessions', done: false });
    await poster.flush();
    await poster.report(incident, sampleReport(), { graph: { png: PNG } });
    await poster.flush();
    expect(out).toContain('── #billing-oncall · new message');
    expect(out).toContain('⏳ reading sessions…');
    expect(out).toContain('updated');
    expect(out).toContain('== 🔴 billing-api: Transaction leak in route=/transfer');
    expect(out).toContain('Connections: 97 / 97 in use · FULL');
    expect(out).toContain('[ Restart billing-api (danger, asks to confirm) ]');
    expect(out).toContain('reply in thread');
    expect(out).toContain('file billing-api-connections.png');
    expect(out).not.toMatch(/&lt;|&gt;|&amp;/);
  });
});
