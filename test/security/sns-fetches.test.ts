// Unsigned SNS messages naming a configured topic cannot make the webhook fetch certificates on
// their behalf: a failed fetch is remembered, one URL is fetched once at a time, at most two
// fetches run at once and ten start a minute. The counts are of real requests the verifier
// sends (through the fetcher it is given), for 100 unsigned messages each time.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SNS_FORBIDDEN, SnsVerifier, type SnsMessage, type TextFetcher } from '../../lib/webhook/sns-signature.ts';
import { createWebhookApp } from '../../lib/webhook/app.ts';
import { alarmMessage, CERT_URL, ingestDeps, snsNotification, TOPIC, useSnsStub } from '../support/functions-harness.ts';

const sns = useSnsStub();

const figures: string[] = [];
afterAll(() => console.log(`certificate fetches per 100 unsigned requests: ${figures.join('; ')}`));

/** What an attacker can send without AWS's key: a configured topic, a made-up certificate URL, 256 random bytes as the signature. */
function unsigned(certPath = 'SimpleNotificationService-0000000000000000000000000000dead'): SnsMessage {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: TOPIC,
    Message: alarmMessage(),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '2',
    Signature: randomBytes(256).toString('base64'),
    SigningCertURL: `https://sns.eu-west-1.amazonaws.com/${certPath}.pem`,
  };
}

/** A fetcher standing in for sns.eu-west-1.amazonaws.com: the real certificate at CERT_URL, 404 elsewhere (as AWS answers). */
function countingFetcher(opts: { hold?: Promise<void> } = {}) {
  const seen = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const fetcher: TextFetcher = async (url, signal) => {
    seen.calls++;
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    try {
      await opts.hold;
      if (url !== CERT_URL) throw new Error('HTTP 404');
      return await sns.stub.fetch(url, signal);
    } finally {
      seen.inFlight--;
    }
  };
  return { seen, fetcher };
}

function webhook(verifier: SnsVerifier) {
  const base = ingestDeps();
  const app = createWebhookApp({ deps: async () => ({ ...base, auth: { alertmanager: null, grafana: null }, sns: verifier, confirm: async () => '' }), maxBodyBytes: 256 * 1024, log: base.log });
  const send = (m: SnsMessage) => app.request('/webhooks/sns', { method: 'POST', body: JSON.stringify(m), headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' } });
  return { send, base };
}

describe('certificate fetches for unsigned SNS messages', () => {
  it('100 messages naming one made-up certificate URL: one fetch (the failure is remembered), 100 identical 403s', async () => {
    const { seen, fetcher } = countingFetcher();
    const { send, base } = webhook(new SnsVerifier({ topicArns: [TOPIC], fetchCert: fetcher }));
    const answers = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const res = await send(unsigned());
      answers.add(`${res.status} ${await res.text()}`);
    }
    expect([...answers]).toEqual([`403 ${JSON.stringify({ error: SNS_FORBIDDEN })}`]);
    expect(seen.calls).toBe(1);
    expect(base.queue.jobs).toEqual([]);
    figures.push(`one made-up URL: ${seen.calls}`);
  });

  it('100 messages each naming another made-up URL: at most 10 fetches a minute; a minute later, 10 more at most', async () => {
    let now = Date.now();
    const { seen, fetcher } = countingFetcher();
    const verifier = new SnsVerifier({ topicArns: [TOPIC], fetchCert: fetcher, now: () => now });
    const { send } = webhook(verifier);
    const distinct = (i: number) => unsigned(`SimpleNotificationService-${String(i).padStart(32, '0')}`);
    for (let i = 0; i < 100; i++) expect((await send(distinct(i))).status).toBe(403);
    expect(seen.calls).toBe(10);
    figures.push(`100 made-up URLs: ${seen.calls}`);
    now += 61_000;
    for (let i = 100; i < 200; i++) await send(distinct(i));
    expect(seen.calls).toBe(20);
  });

  it('100 messages at once, the certificate host slow to answer: at most 2 fetches in flight, one per URL', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const { seen, fetcher } = countingFetcher({ hold });
    const { send } = webhook(new SnsVerifier({ topicArns: [TOPIC], fetchCert: fetcher }));
    let settled = 0;
    let sixtySettled!: () => void;
    const sixty = new Promise<void>((r) => (sixtySettled = r));
    const sending = Array.from({ length: 100 }, (_, i) =>
      Promise.resolve(send(unsigned(`SimpleNotificationService-${i % 5}`))).then((res) => {
        if (++settled === 60) sixtySettled();
        return res;
      }),
    );
    // Two URLs are being fetched and their 40 messages wait on those fetches; the 60 naming the
    // other three are refused at once, without a fetch. Only then does the host answer.
    await sixty;
    expect(seen.inFlight).toBe(2);
    release();
    const statuses = await Promise.all(sending.map(async (p) => (await p).status));
    expect(statuses.every((s) => s === 403)).toBe(true);
    expect(seen.maxInFlight).toBe(2);
    expect(seen.calls).toBe(2);
    figures.push(`100 concurrent over 5 URLs: ${seen.calls} (at most ${seen.maxInFlight} in flight)`);
  });

  it('a short or garbled signature is refused before any fetch', async () => {
    const { seen, fetcher } = countingFetcher();
    const { send } = webhook(new SnsVerifier({ topicArns: [TOPIC], fetchCert: fetcher }));
    for (const Signature of ['', 'Zm9yZ2Vk', randomBytes(40).toString('base64'), randomBytes(2048).toString('base64')]) {
      expect((await send({ ...unsigned(), Signature })).status).toBeGreaterThanOrEqual(400);
    }
    expect(seen.calls).toBe(0);
  });

  it('genuine messages still verify: after a flood (the real certificate cached, or fetched a minute later)', async () => {
    let now = Date.now();
    const { seen, fetcher } = countingFetcher();
    const verifier = new SnsVerifier({ topicArns: [TOPIC], fetchCert: fetcher, now: () => now });
    const { send, base } = webhook(verifier);
    for (let i = 0; i < 30; i++) await send(unsigned(`SimpleNotificationService-flood${i}`));
    // The budget of the minute is spent on the flood: the real URL waits for the next minute.
    expect((await send(snsNotification(sns.signer))).status).toBe(403);
    now += 61_000;
    expect((await send(snsNotification(sns.signer, { Timestamp: new Date(now).toISOString() }))).status).toBe(200);
    // From then on it is cached: another flood does not stop it.
    for (let i = 30; i < 60; i++) await send(unsigned(`SimpleNotificationService-flood${i}`));
    expect((await send(snsNotification(sns.signer, { Timestamp: new Date(now).toISOString() }))).status).toBe(200);
    expect(seen.calls).toBe(20);
    expect(base.queue.jobs.length).toBe(1);
  });
});
