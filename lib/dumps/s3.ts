// S3: dumps that services upload themselves, for replicas the bot cannot reach. Layout:
//   <prefix>/<replica>/<timestamp>.<ext>     e.g. dumps/billing-api/billing-api-7d9f-x2/20240501T101500Z.txt
// The newest object of each replica folder is read; objects directly under the prefix count as
// one replica. Replicas whose newest dump is older than MAX_AGE are left out (gone pods).
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type _Object } from '@aws-sdk/client-s3';
import type { DumpSource } from '../catalog/index.ts';
import { describeError } from '../errors/index.ts';
import { TargetError } from './describe.ts';
import type { Gap } from './model.ts';
import { untilAborted, type OpenedBody } from './stream.ts';
import type { Discovery, Target } from './target.ts';

type S3Source = Extract<DumpSource, { type: 's3' }>;

export type S3Like = Pick<S3Client, 'send'>;
/** A client, or a factory called with the source's region (null = the SDK's default). */
export type S3ClientOption = S3Like | ((region: string | null) => S3Like);

/** A dump older than this says little about an incident happening now. */
export const S3_MAX_AGE_MS = 60 * 60 * 1000;
/** Newest dump older than this is still read, with a caveat. */
export const S3_STALE_AFTER_MS = 15 * 60 * 1000;
const MAX_LIST_PAGES = 10; // 10,000 keys: a lifecycle rule should keep the prefix far smaller

export function createS3Client(region: string | null, timeoutMs: number): S3Client {
  return new S3Client({
    ...(region ? { region } : {}),
    maxAttempts: 2,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 1000) },
  });
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'InvalidAccessKeyId', 'ExpiredToken', 'ExpiredTokenException', 'SignatureDoesNotMatch']);

function describeAwsError(call: string, err: unknown, what: string): string {
  const name = err instanceof Error ? err.name : '';
  if (ACCESS_DENIED.has(name)) return `S3 ${call}: access denied — grant s3:ListBucket and s3:GetObject on ${what} to the bot's role`;
  if (name === 'NoSuchBucket') return `S3 bucket does not exist (${what})`;
  if (name === 'NoSuchKey') return 'object was deleted before it could be read';
  if (name === 'CredentialsProviderError') return `no AWS credentials for S3 ${call}`;
  return `S3 ${call} failed: ${describeError(err)}`;
}

function normalisePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/** The replica an object belongs to: its folder under the prefix, or the prefix itself. */
export function replicaOfKey(key: string, prefix: string, bucket: string): string {
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash > 0) return rest.slice(0, slash);
  const own = prefix.replace(/\/$/, '');
  return own.slice(own.lastIndexOf('/') + 1) || bucket;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function age(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** gzip text is unpacked here; a gzipped pprof profile (debug=0) is left whole for readDump. */
function isGzipText(key: string, contentEncoding: string | undefined): boolean {
  if (/\bgzip\b/i.test(contentEncoding ?? '')) return true;
  return /\.(txt|log)\.gz$/i.test(key);
}

function asReadable(body: unknown): Readable | null {
  return body && typeof (body as Readable).pipe === 'function' && Symbol.asyncIterator in (body as object) ? (body as Readable) : null;
}

export interface S3Context {
  client: S3Like;
  signal: AbortSignal;
  now: number;
}

export async function discoverS3(source: S3Source, ctx: S3Context): Promise<Discovery> {
  const prefix = normalisePrefix(source.prefix);
  const where = `s3://${source.bucket}/${prefix}`;
  const fail = (reason: string): Discovery => ({ targets: [], gaps: [{ source: 's3', target: where, reason }] });

  const newest = new Map<string, _Object & { Key: string }>();
  let token: string | undefined;
  let truncated = false;
  try {
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const out = await untilAborted(
        ctx.client.send(
          new ListObjectsV2Command({ Bucket: source.bucket, Prefix: prefix, MaxKeys: 1000, ...(token ? { ContinuationToken: token } : {}) }),
          { abortSignal: ctx.signal },
        ),
        ctx.signal,
      );
      for (const o of out.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/') || o.Size === 0) continue;
        const replica = replicaOfKey(o.Key, prefix, source.bucket);
        const seen = newest.get(replica);
        if (!seen || isNewer(o, seen)) newest.set(replica, o as _Object & { Key: string });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      if (!token) break;
      if (page === MAX_LIST_PAGES - 1) truncated = true;
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return fail(describeAwsError('ListObjectsV2', err, where));
  }
  if (newest.size === 0) return fail('no dumps uploaded under this prefix');

  const gaps: Gap[] = [];
  if (truncated) {
    gaps.push({ source: 's3', target: where, reason: `more than ${MAX_LIST_PAGES * 1000} objects; listing stopped, some replicas may be missing (add a lifecycle rule)` });
  }
  const fresh = [...newest].filter(([, o]) => ctx.now - time(o) <= S3_MAX_AGE_MS);
  if (fresh.length === 0) {
    const latest = [...newest.values()].sort((a, b) => time(b) - time(a))[0]!;
    return fail(`no dump newer than ${age(S3_MAX_AGE_MS)}; the newest is ${age(ctx.now - time(latest))} old (${latest.Key})`);
  }
  if (fresh.length < newest.size) {
    gaps.push({ source: 's3', target: where, reason: `${newest.size - fresh.length} replica folder(s) have no dump newer than ${age(S3_MAX_AGE_MS)}; left out` });
  }

  const targets: Target[] = fresh.map(([replica, object]) => {
    const key = object.Key;
    const uploadedAt = time(object);
    const stale = ctx.now - uploadedAt > S3_STALE_AFTER_MS;
    const target: Target = {
      source: 's3',
      replica,
      address: IPV4.test(replica) ? replica : null,
      location: `s3://${source.bucket}/${key}`,
      label: `s3://${source.bucket}/${key}`,
      ...(uploadedAt > 0 ? { capturedAt: new Date(uploadedAt).toISOString() } : {}),
      ...(stale ? { caveat: `dump is ${age(ctx.now - uploadedAt)} old` } : {}),
      async open(signal): Promise<OpenedBody> {
        let out;
        try {
          out = await ctx.client.send(new GetObjectCommand({ Bucket: source.bucket, Key: key }), { abortSignal: signal });
        } catch (err) {
          if (signal.aborted) throw err;
          throw new TargetError(describeAwsError('GetObject', err, `s3://${source.bucket}/${key}`));
        }
        // An uploader that knows its pod IP can say so (`x-amz-meta-address`), for matching sessions.
        const uploaded = out.Metadata?.address?.trim();
        if (uploaded) target.address = uploaded;
        const raw = asReadable(out.Body);
        if (!raw) throw new TargetError('S3 returned no readable body');
        // Unpack as a stream: the byte cap then applies to the text, so a gzip bomb is cut too.
        const stream = isGzipText(key, out.ContentEncoding) ? pipeline(raw, createGunzip(), () => undefined) : raw;
        return {
          chunks: stream,
          close() {
            raw.destroy();
            stream.destroy();
          },
        };
      },
    };
    return target;
  });
  return { targets, gaps };
}

function time(o: _Object): number {
  return o.LastModified ? new Date(o.LastModified).getTime() : 0;
}

function isNewer(a: _Object, b: _Object): boolean {
  const ta = time(a);
  const tb = time(b);
  // Same second: timestamped names sort, so the later key is the later dump.
  return ta !== tb ? ta > tb : (a.Key ?? '') > (b.Key ?? '');
}
