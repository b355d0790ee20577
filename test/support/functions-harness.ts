// Shared parts of the function tests: a catalog mapping the alert fixtures, the in-memory store,
// a queue that records jobs, a Slack sink that records messages, API Gateway v2 events, and SNS
// messages signed with a key and certificate made here (openssl) and served by a local stub.
import { execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { parseCatalog } from '../../lib/catalog/parse.ts';
import type { Catalog } from '../../lib/catalog/model.ts';
import { buildEnvelope } from '../../lib/jobs/envelope.ts';
import { InProcessJobQueue } from '../../lib/jobs/in-process.ts';
import { jobSchema, type EnqueueOptions, type Job, type JobInput, type JobQueue } from '../../lib/jobs/model.ts';
import { memoryLog } from './memory-log.ts';
import type { IngestDeps } from '../../lib/intake/ingest.ts';
import { SnsVerifier, stringToSign, type SnsMessage } from '../../lib/webhook/sns-signature.ts';
import { createWebhookApp, type WebhookDeps } from '../../lib/webhook/app.ts';
import type { SlackMessage } from '../../lib/slack/render/block-kit.ts';
import type { FileUpload, PostTarget, SlackSink } from '../../lib/slack/post/sink.ts';
import { MemoryStore } from '../../lib/store/memory.ts';

export const FIXTURES = new URL('../fixtures/alerts/', import.meta.url);
export const fixtureText = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
export const fixture = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name)) as Record<string, unknown>;

/** Maps the alert fixtures: orders-prod (RDS), ledger-aurora, the public-web ALB, Alertmanager labels. */
export const CATALOG_YAML = `
defaults:
  slackChannel: "#incidents"
  deadlineSeconds: 2
databases:
  orders:
    engine: postgres
    url: { env: ORDERS_DATABASE_URL }
    rds: { instance: orders-prod }
services:
  - name: billing-api
    database: orders
    slackChannel: "#billing"
    alarms:
      names: ["orders-db-*"]
      labels: { service: billing-api }
  - name: ledger-worker
    database:
      engine: mysql
      url: { env: LEDGER_DATABASE_URL }
      rds: { cluster: ledger-aurora }
    alarms:
      labels: { service: ledger-worker }
  - name: web
    database:
      engine: postgres
      url: { env: WEB_DATABASE_URL }
    loadBalancer: app/public-web/50dc6c495c0c9188
`;

export function testCatalog(): Catalog {
  const r = parseCatalog(CATALOG_YAML, 'functions-test.yml', { env: {} });
  if (!r.ok) throw r.error;
  return r.catalog;
}

/**
 * The in-process queue (envelopes built and validated as on SQS), with a worker that does
 * nothing; keeps every job it accepted, and fails on demand like an unreachable SQS.
 */
export class RecordingQueue extends InProcessJobQueue implements JobQueue {
  readonly jobs: Job[] = [];
  failWith: Error | null = null;
  constructor() {
    super(async () => {}, { maxAttempts: 1 });
  }
  override async enqueue(job: JobInput, options?: EnqueueOptions): Promise<{ id: string }> {
    if (this.failWith) throw this.failWith;
    const queued = await super.enqueue(job, options);
    this.jobs.push(jobSchema.parse(job));
    return queued;
  }
}

export function ingestDeps(overrides: Partial<IngestDeps> = {}) {
  const log = memoryLog();
  const deps = {
    catalog: testCatalog(),
    store: new MemoryStore(),
    queue: new RecordingQueue(),
    retriageSeconds: 900,
    log,
    ...overrides,
  };
  return deps as typeof deps & { store: MemoryStore; queue: RecordingQueue; log: typeof log };
}

/** Records every Slack call the poster makes. */
export class RecordingSink implements SlackSink {
  readonly calls: Array<{ kind: string; channel: string; ts?: string; threadTs?: string; text: string }> = [];
  private seq = 0;
  async post(target: PostTarget, message: SlackMessage) {
    const ts = `1700000000.${String(++this.seq).padStart(6, '0')}`;
    this.calls.push({ kind: 'post', channel: target.channel, ts, ...(target.threadTs ? { threadTs: target.threadTs } : {}), text: message.text });
    return { channel: target.channel, ts };
  }
  async update(channel: string, ts: string, message: SlackMessage) {
    this.calls.push({ kind: 'update', channel, ts, text: message.text });
  }
  async ephemeral(channel: string, _user: string, message: SlackMessage) {
    this.calls.push({ kind: 'ephemeral', channel, text: message.text });
  }
  async delete(channel: string, ts: string) {
    this.calls.push({ kind: 'delete', channel, ts, text: '' });
  }
  async upload(file: FileUpload) {
    this.calls.push({ kind: 'upload', channel: file.channel, threadTs: file.threadTs, text: file.title });
  }
}

/** An SQS record as Lambda delivers it. */
export function sqsRecord(body: string, messageId: string = randomUUID()) {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1700000000000' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:leakhound-test-jobs',
    awsRegion: 'eu-west-1',
  };
}

export const jobBody = (job: JobInput): string => JSON.stringify(buildEnvelope(job, {}, Date.now()));

/**
 * A real API Gateway HTTP API (payload 2.0) event. API Gateway leaves `body` out of bodiless
 * requests, which Hono's type (body: string | null) does not allow for but its adapter handles.
 */
export function httpApiEvent(method: string, path: string, body: string | null, headers: Record<string, string> = {}, base64 = false): LambdaEvent {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(body === null ? 0 : Buffer.byteLength(body, base64 ? 'base64' : 'utf8')),
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'Alertmanager/0.27.0',
      'x-amzn-trace-id': 'Root=1-65f2c9a1-0123456789abcdef01234567',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...lower,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'Alertmanager/0.27.0' },
      requestId: 'Jx1AbCdEoAMEV7g=',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '14/Mar/2024:10:42:12 +0000',
      timeEpoch: 1710412932000,
    },
    ...(body === null ? {} : { body }),
    isBase64Encoded: base64,
  };
  return event as unknown as LambdaEvent;
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'leakhound-test-webhook',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:leakhound-test-webhook',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/leakhound-test-webhook',
  logStreamName: '2024/03/14/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 10_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

// ---------------------------------------------------------------------------------------------
// SNS: a signing key and certificate, a stub standing in for sns.<region>.amazonaws.com

export const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:leakhound-test-alarms';
export const OTHER_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:someone-elses-topic';
export const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';

export interface SnsSigner {
  key: string;
  cert: string;
  sign(fields: Omit<SnsMessage, 'Signature' | 'SignatureVersion' | 'SigningCertURL'> & Partial<Pick<SnsMessage, 'SigningCertURL'>>, version?: '1' | '2'): SnsMessage;
}

/** A 2048-bit RSA key and a self-signed certificate, as SNS signs with. */
export function makeSigner(): SnsSigner {
  const dir = mkdtempSync(join(tmpdir(), 'lh-sns-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return {
      key,
      cert,
      sign(fields, version = '2') {
        const unsigned = { SigningCertURL: CERT_URL, ...fields, SignatureVersion: version, Signature: '' } as SnsMessage;
        const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
        signer.update(stringToSign(unsigned), 'utf8');
        return { ...unsigned, Signature: signer.sign(key, 'base64') };
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Serves the certificate and records subscription confirmations over plain HTTP on 127.0.0.1.
 * The injected fetcher sends sns.<region>.amazonaws.com URLs here, as the real one sends them to AWS.
 */
export class SnsStub {
  readonly requests: string[] = [];
  private server: Server | null = null;
  private base = '';
  constructor(private readonly cert: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      if (req.url?.endsWith('.pem')) {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.cert);
      } else if (req.url?.startsWith('/?Action=ConfirmSubscription')) {
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:…</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The fetcher the verifier gets: the real AWS URL's path, fetched from the stub. */
  readonly fetch = async (url: string, signal: AbortSignal): Promise<string> => {
    const u = new URL(url);
    const res = await fetch(`${this.base}${u.pathname}${u.search}`, { signal });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return res.text();
  };
}

/**
 * A signer and a running stub for the suite (or describe block) that calls this: read them
 * from the returned object inside tests, once beforeAll has run.
 */
export function useSnsStub(): { signer: SnsSigner; stub: SnsStub } {
  const ctx = {} as { signer: SnsSigner; stub: SnsStub };
  beforeAll(async () => {
    ctx.signer = makeSigner();
    ctx.stub = new SnsStub(ctx.signer.cert);
    await ctx.stub.start();
  });
  afterAll(() => ctx.stub?.stop());
  return ctx;
}

/** The CloudWatch alarm message inside the SNS fixture. */
export function alarmMessage(overrides: Record<string, unknown> = {}): string {
  const event = fixture('sns-rds-connections-alarm.json') as { Records: Array<{ Sns: { Message: string } }> };
  return JSON.stringify({ ...JSON.parse(event.Records[0]!.Sns.Message), ...overrides });
}

export function snsNotification(signer: SnsSigner, overrides: Partial<SnsMessage> = {}, version: '1' | '2' = '2'): SnsMessage {
  return signer.sign(
    {
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: TOPIC,
      Subject: 'ALARM: "orders-db-connections-high" in EU (Ireland)',
      Message: alarmMessage(),
      Timestamp: new Date().toISOString(),
      UnsubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:0b6941c3`,
      ...overrides,
    },
    version,
  );
}

export interface SnsWebhookOptions {
  auth?: WebhookDeps['auth'];
  /** How subscription confirmations are followed; default: recorded and fetched from the stub. */
  confirm?: WebhookDeps['confirm'];
  /** Extra headers on every request, e.g. the topic ARN header SNS sends. */
  headers?: Record<string, string>;
}

/**
 * The webhook app with an SNS verifier for TOPIC whose certificates come from `stub`, and a
 * `send` that posts a message the way SNS does (text/plain, its message-type header).
 */
export function snsWebhook(stub: SnsStub, opts: SnsWebhookOptions = {}) {
  const base = ingestDeps();
  const certFetches: string[] = [];
  const confirmations: string[] = [];
  const deps: WebhookDeps = {
    ...base,
    auth: opts.auth ?? { alertmanager: null, grafana: null },
    sns: new SnsVerifier({
      topicArns: [TOPIC],
      fetchCert: (url, signal) => {
        certFetches.push(url);
        return stub.fetch(url, signal);
      },
    }),
    confirm:
      opts.confirm ??
      ((url, signal) => {
        confirmations.push(url);
        return stub.fetch(url, signal);
      }),
  };
  const app = createWebhookApp({ deps: async () => deps, maxBodyBytes: 256 * 1024, log: base.log });
  // Any body, so tests can send what SNS never would.
  const send = (m: unknown) =>
    app.request('/webhooks/sns', {
      method: 'POST',
      body: typeof m === 'string' ? m : JSON.stringify(m),
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': (m as SnsMessage).Type ?? 'Notification', ...opts.headers },
    });
  return { app, send, base, certFetches, confirmations };
}
