// SNS HTTPS subscriptions: verify the signature of every message (SignatureVersion 1 = SHA1withRSA,
// 2 = SHA256withRSA) as the AWS docs describe, with the certificate fetched only from
// https://sns.<topic's region>.amazonaws.com, and only for configured topics. Written on
// node:crypto because the npm validators can neither take an injected certificate fetcher nor
// bound the fetch (time, size); see README.md, "Deploying to AWS".
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { z } from 'zod';

const TOPIC_ARN = /^arn:(aws[a-z-]*):sns:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:[A-Za-z0-9_.-]{1,256}$/;

export const snsMessageSchema = z
  .object({
    Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
    MessageId: z.string().min(1).max(128),
    TopicArn: z.string().regex(TOPIC_ARN, 'expected an SNS topic ARN'),
    Subject: z.string().max(100).nullish(),
    Message: z.string().max(256 * 1024),
    Timestamp: z.iso.datetime({ offset: true }),
    SignatureVersion: z.enum(['1', '2'], 'expected SignatureVersion "1" or "2"'),
    Signature: z.string().min(1).max(1024),
    SigningCertURL: z.string().max(1024),
    SubscribeURL: z.string().max(2048).optional(),
    Token: z.string().max(2048).optional(),
    UnsubscribeURL: z.string().max(2048).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.Type === 'Notification') return;
    for (const key of ['SubscribeURL', 'Token'] as const) {
      if (!m[key]) ctx.addIssue({ code: 'custom', path: [key], message: `required in a ${m.Type}` });
    }
  });
export type SnsMessage = z.infer<typeof snsMessageSchema>;

/** Fetches a text resource (the signing certificate); injected in tests. */
export type TextFetcher = (url: string, signal: AbortSignal) => Promise<string>;

export type SnsVerification = { ok: true; message: SnsMessage } | { ok: false; status: 400 | 403; reason: string };

export interface SnsVerifierOptions {
  /** Only these topics are accepted; an empty list accepts none. */
  topicArns: readonly string[];
  fetchCert?: TextFetcher;
  /** Messages older than this are refused (replays). Default 1 hour. */
  maxAgeMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/** The one SNS endpoint host for a topic: `sns.<region>.amazonaws.com` (`.com.cn` in China). */
export function snsHost(topicArn: string): string | null {
  const m = TOPIC_ARN.exec(topicArn);
  if (!m) return null;
  return `sns.${m[2]}.amazonaws.com${m[1] === 'aws-cn' ? '.cn' : ''}`;
}

/** A URL on the topic's own SNS endpoint: https, no port, no credentials. */
export function onSnsHost(url: string, topicArn: string): URL | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const host = snsHost(topicArn);
  if (host === null || u.protocol !== 'https:' || u.hostname !== host || u.port !== '' || u.username !== '' || u.password !== '') return null;
  return u;
}

export function isSigningCertUrl(url: string, topicArn: string): boolean {
  const u = onSnsHost(url, topicArn);
  return u !== null && /^\/SimpleNotificationService-[A-Za-z0-9]{1,64}\.pem$/.test(u.pathname) && u.search === '' && u.hash === '';
}

/** SubscribeURL must confirm this very topic on its own endpoint. */
export function isSubscribeUrl(url: string, topicArn: string): boolean {
  const u = onSnsHost(url, topicArn);
  return u !== null && u.pathname === '/' && u.searchParams.get('Action') === 'ConfirmSubscription' && u.searchParams.get('TopicArn') === topicArn;
}

/** The canonical string SNS signs: `Key\nValue\n` for each signed key, in this order. */
export function stringToSign(m: SnsMessage): string {
  const keys =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  let out = '';
  for (const key of keys) {
    const value = m[key];
    if (value === undefined || value === null) continue; // Subject is signed only when present
    out += `${key}\n${value}\n`;
  }
  return out;
}

const MAX_CERT_BYTES = 16 * 1024;

/** fetch with no redirects, a status check and a size cap. */
export const fetchText: TextFetcher = async (url, signal) => {
  const res = await fetch(url, { signal, redirect: 'error' });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_CERT_BYTES) throw new Error('larger than expected');
  return text;
};

export class SnsVerifier {
  private readonly topics: ReadonlySet<string>;
  private readonly fetchCert: TextFetcher;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  /** Certificates by URL; SNS rotates them rarely. */
  private readonly certs = new Map<string, X509Certificate>();

  constructor(options: SnsVerifierOptions) {
    this.topics = new Set(options.topicArns);
    this.fetchCert = options.fetchCert ?? fetchText;
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  isConfigured(topicArn: string): boolean {
    return this.topics.has(topicArn);
  }

  /** Checks, cheapest first, so nothing is fetched for a message that fails anyway. */
  async verify(input: unknown): Promise<SnsVerification> {
    const parsed = snsMessageSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, status: 400, reason: `not an SNS message: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const m = parsed.data;
    if (!this.topics.has(m.TopicArn)) return { ok: false, status: 403, reason: `topic ${m.TopicArn} is not configured (LEAKHOUND_SNS_TOPIC_ARNS)` };
    const age = this.now() - Date.parse(m.Timestamp);
    if (age > this.maxAgeMs || age < -300_000) return { ok: false, status: 403, reason: 'message Timestamp is too old or in the future' };
    if (!isSigningCertUrl(m.SigningCertURL, m.TopicArn)) {
      return { ok: false, status: 403, reason: `SigningCertURL is not on ${snsHost(m.TopicArn)}` };
    }
    let cert: X509Certificate;
    try {
      cert = await this.certificate(m.SigningCertURL);
    } catch (err) {
      return { ok: false, status: 403, reason: `could not get the signing certificate: ${err instanceof Error ? err.message : String(err)}` };
    }
    const at = this.now();
    if (at < Date.parse(cert.validFrom) || at > Date.parse(cert.validTo)) return { ok: false, status: 403, reason: 'the signing certificate is not valid now' };
    const algorithm = m.SignatureVersion === '1' ? 'sha1' : 'sha256';
    let good = false;
    try {
      good = verifySignature(algorithm, Buffer.from(stringToSign(m), 'utf8'), cert.publicKey, Buffer.from(m.Signature, 'base64'));
    } catch {
      good = false;
    }
    return good ? { ok: true, message: m } : { ok: false, status: 403, reason: 'bad signature' };
  }

  private async certificate(url: string): Promise<X509Certificate> {
    const known = this.certs.get(url);
    if (known) return known;
    const pem = await this.fetchCert(url, AbortSignal.timeout(this.timeoutMs));
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate');
    const cert = new X509Certificate(pem);
    if (this.certs.size >= 16) this.certs.delete(this.certs.keys().next().value!);
    this.certs.set(url, cert);
    return cert;
  }
}
