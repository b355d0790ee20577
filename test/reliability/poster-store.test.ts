// The top message and the store's record of it, when the store misbehaves in the two ways a
// remote store does: a write that landed but whose answer was lost (the SDK retries it and the
// retry finds the thread already set, by itself), and a write that failed outright.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSlackClient } from '../../lib/slack/post/web-client.ts';
import { plainMessage } from '../../lib/slack/render/block-kit.ts';
import { IncidentPoster } from '../../lib/slack/post/poster.ts';
import { WebApiSink } from '../../lib/slack/post/sink.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import type { SetThreadResult, SlackThread } from '../../lib/store/model.ts';
import { BOT_TOKEN } from '../support/slack-events.ts';
import { FakeSlack } from '../support/fake-slack.ts';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await new FakeSlack().start();
});
afterAll(() => slack.stop());

const poster = (store: MemoryStore) =>
  new IncidentPoster({ sink: new WebApiSink(createSlackClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl })), store, channelOf: () => 'C0STORE001', pacer: { minIntervalMs: 0 }, onError: () => {} });

it('a thread write that landed but was retried keeps its message (it found its own thread, not a rival)', async () => {
  class LostAnswer extends MemoryStore {
    override async setThread(id: string, thread: SlackThread): Promise<SetThreadResult> {
      await super.setThread(id, thread);
      return super.setThread(id, thread); // what the SDK's retry sees
    }
  }
  const store = new LostAnswer();
  const incident = (await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' })).incident!;
  const thread = await poster(store).top(incident, plainMessage('leak'));
  expect(slack.messages.get(thread.ts)).toMatchObject({ deleted: false, threadTs: null });
  expect(slack.callsTo('chat.delete')).toHaveLength(0);
  expect((await store.getIncident(incident.id))!.thread).toEqual(thread);
});

it('a thread write that failed but had landed is recognised on re-read: no delete, no error', async () => {
  class FailsAfterWriting extends MemoryStore {
    override async setThread(id: string, thread: SlackThread): Promise<SetThreadResult> {
      await super.setThread(id, thread);
      throw new Error('RequestTimeout: no answer from DynamoDB');
    }
  }
  const store = new FailsAfterWriting();
  const incident = (await store.recordAlarm({ service: 'ledger', kind: 'db-connections-high', state: 'alarm' })).incident!;
  const deletes = slack.callsTo('chat.delete').length;
  const thread = await poster(store).top(incident, plainMessage('leak'));
  expect(slack.messages.get(thread.ts)!.deleted).toBe(false);
  expect(slack.callsTo('chat.delete')).toHaveLength(deletes);
});
