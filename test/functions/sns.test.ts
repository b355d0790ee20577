// SNS over HTTPS: messages signed (SignatureVersion 1 and 2) with a key and certificate made for
// the test; the certificate is served by a local stub through the injected fetcher, because the
// verifier itself only ever asks https://sns.<region>.amazonaws.com.
import { describe, expect, it } from 'vitest';
import { SNS_FORBIDDEN, isSigningCertUrl, isSubscribeUrl, stringToSign, type SnsMessage } from '../../lib/webhook/sns-signature.ts';
import { sourceAuth } from '../../lib/webhook/source-auth.ts';
import { CERT_URL, OTHER_TOPIC, snsNotification, snsWebhook, TOPIC, useSnsStub } from '../support/functions-harness.ts';

const sns = useSnsStub();

function setup() {
  const h = snsWebhook(sns.stub, { auth: { alertmanager: sourceAuth('x'.repeat(20)), grafana: null }, headers: { 'x-amz-sns-topic-arn': TOPIC } });
  return { ...h, store: h.base.store, queue: h.base.queue, reasons: () => h.base.log.lines.map((l) => String(l['reason'] ?? '')) };
}

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('SNS over HTTPS', () => {
  it('accepts signed notifications (SignatureVersion 2 and 1): incident recorded, triage queued', async () => {
    const { send, store, queue } = setup();
    const v2 = await send(snsNotification(sns.signer, {}, '2'));
    expect(v2.status).toBe(200);
    const v1 = await send(snsNotification(sns.signer, {}, '1'));
    expect(v1.status).toBe(200);
    const open = await store.listOpenIncidents();
    expect(open).toEqual([expect.objectContaining({ service: 'billing-api', alarmCount: 2 })]);
    expect(queue.jobs).toEqual([expect.objectContaining({ type: 'triage', service: 'billing-api' })]);
  });

  it('acts on a redelivered MessageId once', async () => {
    const { send, store } = setup();
    const m = snsNotification(sns.signer);
    expect((await send(m)).status).toBe(200);
    const again = await send(m);
    expect(await again.json()).toEqual({ accepted: 0, duplicate: true });
    expect((await store.listOpenIncidents())[0]!.alarmCount).toBe(1);
  });

  it('refuses a tampered message and a bad signature', async () => {
    const { send, queue, reasons } = setup();
    const m = snsNotification(sns.signer);
    const tampered = await send({ ...m, Message: m.Message.replace('"ALARM"', '"OK"') });
    expect(tampered.status).toBe(403);
    expect(await errorOf(tampered)).toBe(SNS_FORBIDDEN);
    expect(reasons()).toEqual(['bad signature']);
    const otherSubject = await send({ ...m, Subject: 'OK: all is well' });
    expect(otherSubject.status).toBe(403);
    const garbage = await send({ ...m, Signature: Buffer.from('not a signature').toString('base64') });
    expect(garbage.status).toBe(403);
    // Signed with SHA-256 but claiming version 1 (SHA-1).
    const downgraded = await send({ ...m, SignatureVersion: '1' });
    expect(downgraded.status).toBe(403);
    const unknownVersion = await send({ ...m, SignatureVersion: '3' });
    expect(unknownVersion.status).toBe(400);
    expect(await errorOf(unknownVersion)).toMatch(/SignatureVersion/);
    expect(queue.jobs).toHaveLength(0);
  });

  it('never fetches a certificate from outside sns.<topic region>.amazonaws.com', async () => {
    const { send, certFetches, reasons } = setup();
    const outside = [
      'https://evil.example.com/SimpleNotificationService-0123456789abcdef.pem',
      'https://sns.eu-west-1.amazonaws.com.evil.example.com/SimpleNotificationService-0123.pem',
      'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem', // not the topic's region
      'https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-0123.pem',
      'https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem',
      'https://sns.eu-west-1.amazonaws.com/redirect?to=evil.pem',
    ];
    for (const url of outside) {
      const res = await send(snsNotification(sns.signer, { SigningCertURL: url }));
      expect(res.status, url).toBe(403);
      expect(await errorOf(res)).toBe(SNS_FORBIDDEN);
    }
    expect(reasons()).toEqual(outside.map(() => 'SigningCertURL is not on sns.eu-west-1.amazonaws.com'));
    expect(certFetches).toEqual([]);
  });

  it('refuses topics that are not configured, before fetching anything', async () => {
    const { send, certFetches, reasons } = setup();
    const res = await send(snsNotification(sns.signer, { TopicArn: OTHER_TOPIC }));
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toBe(SNS_FORBIDDEN);
    expect(reasons()).toEqual([expect.stringMatching(/not configured/)]);
    expect(certFetches).toEqual([]);
  });

  it('answers "unknown topic" and "bad signature" alike: same status, same body (the reason is only logged)', async () => {
    const { send, reasons } = setup();
    const m = snsNotification(sns.signer);
    const answers = await Promise.all(
      [snsNotification(sns.signer, { TopicArn: OTHER_TOPIC }), { ...m, Subject: 'changed' }, { ...m, Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() }].map(async (x) => {
        const res = await send(x);
        return `${res.status} ${await res.text()}`;
      }),
    );
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toBe(`403 ${JSON.stringify({ error: SNS_FORBIDDEN })}`);
    expect(reasons()).toEqual(expect.arrayContaining([expect.stringMatching(/not configured/), 'bad signature', expect.stringMatching(/too old/)]));
  });

  it('refuses stale messages (replays) and non-SNS bodies', async () => {
    const { send } = setup();
    const old = await send(snsNotification(sns.signer, { Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() }));
    expect(old.status).toBe(403);
    const notJson = await send('hello');
    expect(notJson.status).toBe(400);
    const notSns = await send({ hello: 'world' });
    expect(notSns.status).toBe(400);
    expect(await errorOf(notSns)).toMatch(/not an SNS message: Type/);
  });

  it('confirms a subscription for a configured topic by fetching its SubscribeURL', async () => {
    const { send, confirmations, queue } = setup();
    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37fb687f5d51e6e2425c464de12884e`;
    const m = sns.signer.sign({
      Type: 'SubscriptionConfirmation',
      MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: '2336412f37fb687f5d51e6e2425c464de12884e',
      TopicArn: TOPIC,
      Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: subscribeUrl,
      Timestamp: new Date().toISOString(),
    });
    const res = await send(m);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ confirmed: true, topic: TOPIC });
    expect(confirmations).toEqual([subscribeUrl]);
    expect(sns.stub.requests.some((r) => r.startsWith('/?Action=ConfirmSubscription'))).toBe(true);
    expect(queue.jobs).toHaveLength(0);
  });

  it('refuses a subscription to an unknown topic, or one whose SubscribeURL points elsewhere', async () => {
    const { send, confirmations } = setup();
    const base = {
      Type: 'SubscriptionConfirmation' as const,
      MessageId: 'a0b1c2d3-0000-4000-8000-000000000001',
      Token: 'tok',
      Message: 'confirm',
      Timestamp: new Date().toISOString(),
    };
    const unknown = await send(sns.signer.sign({ ...base, TopicArn: OTHER_TOPIC, SubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${OTHER_TOPIC}&Token=tok` }));
    expect(unknown.status).toBe(403);
    const elsewhere = await send(sns.signer.sign({ ...base, TopicArn: TOPIC, SubscribeURL: `https://attacker.example.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}` }));
    expect(elsewhere.status).toBe(403);
    const otherTopicUrl = await send(sns.signer.sign({ ...base, TopicArn: TOPIC, SubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${OTHER_TOPIC}&Token=tok` }));
    expect(otherTopicUrl.status).toBe(403);
    expect(confirmations).toEqual([]);
  });
});

describe('SNS signature details', () => {
  it('signs exactly the documented keys in order, Subject only when present', () => {
    const m = { Type: 'Notification', MessageId: 'id', TopicArn: TOPIC, Message: 'hi', Timestamp: '2024-01-01T00:00:00.000Z', SignatureVersion: '2', Signature: 's', SigningCertURL: CERT_URL } as SnsMessage;
    expect(stringToSign(m)).toBe(`Message\nhi\nMessageId\nid\nTimestamp\n2024-01-01T00:00:00.000Z\nTopicArn\n${TOPIC}\nType\nNotification\n`);
    expect(stringToSign({ ...m, Subject: 'sub' })).toContain('MessageId\nid\nSubject\nsub\nTimestamp');
  });

  it('knows the SNS endpoints of other partitions', () => {
    const cn = 'arn:aws-cn:sns:cn-north-1:123456789012:alarms';
    expect(isSigningCertUrl('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem', cn)).toBe(true);
    expect(isSigningCertUrl('https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-abc.pem', cn)).toBe(false);
    expect(isSubscribeUrl(`https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&TopicArn=${cn}&Token=t`, cn)).toBe(true);
  });
});
