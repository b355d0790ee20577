// `/leak evidence <incident>` through the real Slack Lambda handler (Bolt, signature checks): a
// fresh presigned link in a button of the ephemeral answer, audited; a clear answer when the
// page is not there, the id is not one, or no bucket is configured.
import { HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { S3PageLinker } from '../../lib/evidence-page/index.ts';
import { createSlackLambdaHandler } from '../../lib/slack/app/lambda-receiver.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { BOT_TOKEN, SIGNING_SECRET, apiGatewayEvent, commandBody } from '../support/slack-events.ts';
import { FakeSlack } from '../support/fake-slack.ts';
import { quietLogger, RecordingQueue, testCatalog } from '../support/slack-harness.ts';

const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIAEXAMPLE000000002', secretAccessKey: 'dummy/secret/for/offline/presigning/only00', sessionToken: 'IQoJdummy'.repeat(12) } });
const s3 = mockClient(client);
const slack = await new FakeSlack().start();
afterEach(() => s3.reset());
afterAll(() => slack.stop());

function handler(pageLinker: S3PageLinker | null) {
  const store = new MemoryStore();
  const lambda = createSlackLambdaHandler({ signingSecret: SIGNING_SECRET, token: BOT_TOKEN, store, queue: new RecordingQueue(), catalog: testCatalog(), slackApiUrl: slack.apiUrl, logger: quietLogger(), pageLinker });
  return { store, ask: async (text: string) => JSON.parse((await lambda(apiGatewayEvent(commandBody(text, { user: 'UONCALL01' })), {})).body ?? '{}') as { text: string; blocks: Array<{ type: string; elements?: Array<{ url?: string; action_id?: string }> }> } };
}

describe('/leak evidence <incident>', () => {
  it('answers with a new presigned link to the page, valid 24 h, and audits who asked', async () => {
    s3.on(HeadObjectCommand).resolves({});
    const { store, ask } = handler(new S3PageLinker({ client, bucket: 'lh-evidence' }));
    const answer = await ask('evidence billing-api:db-connections-high:20261202-0400-abc123');
    expect(answer.text).toMatch(/Evidence page: one self-contained page, link valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    const url = new URL(answer.blocks.at(-1)!.elements![0]!.url!);
    expect(decodeURIComponent(url.pathname)).toBe('/incidents/billing-api:db-connections-high:20261202-0400-abc123/evidence.html');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const audit = await store.listAudit('billing-api:db-connections-high:20261202-0400-abc123');
    expect(audit).toMatchObject([{ actor: 'UONCALL01', action: 'evidence.link', result: expect.stringMatching(/^issued, valid until /) }]);
    // The audit records that a link was issued, never the link.
    expect(JSON.stringify(audit)).not.toContain('X-Amz-Signature');
  });

  it('says so when there is no page, no id, or no bucket', async () => {
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } }));
    const { ask } = handler(new S3PageLinker({ client, bucket: 'lh-evidence' }));
    expect((await ask('evidence inc-gone')).text).toMatch(/No evidence page for incident/);
    expect((await ask('evidence ../../etc')).text).toMatch(/Usage: \/leak evidence /);
    expect((await handler(null).ask('evidence inc-1')).text).toMatch(/not set up here/);
    expect((await ask('help')).text + JSON.stringify((await ask('help')).blocks)).toContain('/leak evidence');
  });
});
