// SNS HTTPS subscriptions: verify the signature of every message (SignatureVersion 1 = SHA1withRSA,
// 2 = SHA256withRSA) as the AWS docs describe, with the certificate fetched only from
// https://sns.<topic's region>.amazonaws.com, and only for configured topics. Written on
// node:crypto because the npm validators can neither take an injected certificate fetcher nor
// bound the fetch (time, size); see README.md, "Deploying to AWS".
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { z } from 'zod';
import { errorMessage } from '../errors/index.ts';

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
  /** A certificate URL whose fetch failed is not fetched again for this long. Default 10 minutes. */
  failureTtlMs?: number;
  /** Certificate fetches running at once, across URLs. Default 2. */
  maxFetchesInFlight?: number;
  /** Certificate fetches started per minute, across URLs. Default 10. */
  maxFetchesPerMinute?: number;
}

/**
 * The one answer to every refused signature check, whatever the reason (unknown topic, bad
 * signature, certificate URL, age): the reason goes to the log only, so a caller cannot probe
 * which topics are configured.
 */
export const SNS_FORBIDDEN = 'forbidden: not a valid SNS message for this endpoint';

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

/** RSA signatures of SNS's keys are 128 to 512 bytes; anything else is refused before a fetch. */
const SIGNATURE_BYTES = { min: 128, max: 512 };


export class SnsVerifier {
  private readonly topics: ReadonlySet<string>;
  private readonly fetchCert: TextFetcher;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly failureTtlMs: number;
  private readonly maxInFlight: number;
  private readonly maxPerMinute: number;
  /** Certificates by URL (SNS rotates them rarely), and URLs whose fetch failed recently: kept
   * apart, so a flood of made-up URLs never pushes the real certificate out. */
  private readonly certs = new Map<string, X509Certificate>();
  private readonly failures = new Map<string, { reason: string; until: number }>();
  /** One fetch per URL at a time: concurrent messages naming the same URL share it. */
  private readonly pending = new Map<string, Promise<X509Certificate>>();
  /** Start times of the fetches of the last minute. */
  private started: number[] = [];
  /** Outbound certificate fetches made (for tests and figures). */
  fetches = 0;

  constructor(options: SnsVerifierOptions) {
    this.topics = new Set(options.topicArns);
    this.fetchCert = options.fetchCert ?? fetchText;
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.failureTtlMs = options.failureTtlMs ?? 600_000;
    this.maxInFlight = options.maxFetchesInFlight ?? 2;
    this.maxPerMinute = options.maxFetchesPerMinute ?? 10;
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
    const signature = Buffer.from(m.Signature, 'base64');
    if (signature.length < SIGNATURE_BYTES.min || signature.length > SIGNATURE_BYTES.max) {
      return { ok: false, status: 403, reason: `bad signature (${signature.length} bytes: not an RSA signature)` };
    }
    let cert: X509Certificate;
    try {
      cert = await this.certificate(m.SigningCertURL);
    } catch (err) {
      return { ok: false, status: 403, reason: `could not get the signing certificate: ${errorMessage(err)}` };
    }
    const at = this.now();
    if (at < Date.parse(cert.validFrom) || at > Date.parse(cert.validTo)) return { ok: false, status: 403, reason: 'the signing certificate is not valid now' };
    const algorithm = m.SignatureVersion === '1' ? 'sha1' : 'sha256';
    let good = false;
    try {
      good = verifySignature(algorithm, Buffer.from(stringToSign(m), 'utf8'), cert.publicKey, signature);
    } catch {
      good = false;
    }
    return good ? { ok: true, message: m } : { ok: false, status: 403, reason: 'bad signature' };
  }

  /**
   * The certificate at `url`, fetched at most once per URL at a time, at most `maxInFlight` at
   * once and `maxPerMinute` a minute; a failure is remembered for `failureTtlMs`, so unsigned
   * messages naming made-up certificate URLs cannot make the function fetch on their behalf.
   */
  private async certificate(url: string): Promise<X509Certificate> {
    const now = this.now();
    const known = this.certs.get(url);
    if (known) return known;
    const failed = this.failures.get(url);
    if (failed && failed.until > now) throw new Error(`${failed.reason} (not fetched again before ${new Date(failed.until).toISOString()})`);
    const pending = this.pending.get(url);
    if (pending) return pending;
    if (this.pending.size >= this.maxInFlight) throw new Error(`${this.pending.size} certificate fetches already running; not fetched`);
    this.started = this.started.filter((t) => now - t < 60_000);
    if (this.started.length >= this.maxPerMinute) throw new Error(`${this.started.length} certificate fetches in the last minute; not fetched`);
    this.started.push(now);
    this.fetches += 1;
    const fetching = this.fetchOne(url).finally(() => this.pending.delete(url));
    this.pending.set(url, fetching);
    return fetching;
  }

  private async fetchOne(url: string): Promise<X509Certificate> {
    try {
      const pem = await this.fetchCert(url, AbortSignal.timeout(this.timeoutMs));
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate');
      const cert = new X509Certificate(pem);
      remember(this.certs, url, cert, 16);
      this.failures.delete(url);
      return cert;
    } catch (err) {
      const reason = errorMessage(err);
      remember(this.failures, url, { reason, until: this.now() + this.failureTtlMs }, 1024);
      throw err;
    }
  }
}

/** Sets `key` in a map of at most `max` entries, dropping the oldest. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
