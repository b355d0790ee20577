// S3 through aws-sdk-client-mock: the newest dump of each replica folder, streamed into the reader
// (plain text, gzip Content-Encoding, gzipped pprof), capped, and old uploads left out.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { DumpLimits, DumpSource } from '../../lib/catalog/index.ts';
import { collectDumps } from '../../lib/dumps/index.ts';
import { replicaOfKey } from '../../lib/dumps/s3.ts';
import { closedPort, DEBUG0, DEBUG1, DEBUG2, ENDLESS_CHUNK, serviceWith } from '../support/dump-targets.ts';

const limits: DumpLimits = { concurrency: 4, timeoutSeconds: 2, maxBytes: 1 << 20 };
const soon = (): number => Date.now() + 5000;
const s3Mock = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
afterAll(() => s3Mock.restore());

const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);
const source: DumpSource = { type: 's3', bucket: 'acme-dumps', prefix: 'dumps/billing-api', region: null };

/** Each GetObject gets a fresh stream, as S3 would send. */
function serve(objects: Record<string, { body: () => Readable; encoding?: string; metadata?: Record<string, string> }>): void {
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const o = objects[input.Key];
    if (!o) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: o.body(), ContentEncoding: o.encoding, Metadata: o.metadata ?? {} } as unknown as GetObjectCommandOutput;
  });
}

/** ~500 MB of debug=2 text if read to the end; made on the fly. */
function endless(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      sent += ENDLESS_CHUNK.length;
      this.push(sent > 500e6 ? null : ENDLESS_CHUNK);
    },
  });
}

beforeEach(() => s3Mock.reset());

describe('S3 dump source', () => {
  it('reads the newest dump of each replica folder, in every encoding, and leaves out old replicas', async () => {
    s3Mock.on(ListObjectsV2Command).resolvesOnce({
      IsTruncated: true,
      NextContinuationToken: 'next',
      Contents: [
        { Key: 'dumps/billing-api/pod-a/20240501T100000Z.txt', LastModified: minutesAgo(10), Size: 10 },
        { Key: 'dumps/billing-api/pod-a/20240501T100500Z.txt', LastModified: minutesAgo(2), Size: 10 },
        { Key: 'dumps/billing-api/pod-b/20240501T100400Z.txt', LastModified: minutesAgo(3), Size: 10 },
      ],
    }).resolvesOnce({
      IsTruncated: false,
      Contents: [
        { Key: 'dumps/billing-api/pod-c/20240501T100400Z.pb.gz', LastModified: minutesAgo(3), Size: 10 },
        { Key: 'dumps/billing-api/10.0.7.9/20240501T100400Z.txt', LastModified: minutesAgo(4), Size: 10 },
        { Key: 'dumps/billing-api/pod-stale/20240501T093000Z.txt.gz', LastModified: minutesAgo(30), Size: 10 },
        { Key: 'dumps/billing-api/pod-gone/20240430T100000Z.txt', LastModified: minutesAgo(24 * 60), Size: 10 },
        { Key: 'dumps/billing-api/pod-a/', LastModified: minutesAgo(1), Size: 0 },
      ],
    });
    serve({
      'dumps/billing-api/pod-a/20240501T100500Z.txt': { body: () => Readable.from([DEBUG1]), metadata: { address: '10.0.7.1' } },
      'dumps/billing-api/pod-b/20240501T100400Z.txt': { body: () => Readable.from([gzipSync(DEBUG2)]), encoding: 'gzip' },
      'dumps/billing-api/pod-c/20240501T100400Z.pb.gz': { body: () => Readable.from([DEBUG0]) },
      'dumps/billing-api/10.0.7.9/20240501T100400Z.txt': { body: () => Readable.from([Buffer.from('{"error":"upload failed"}\n')]) },
      'dumps/billing-api/pod-stale/20240501T093000Z.txt.gz': { body: () => Readable.from([gzipSync(DEBUG1)]) },
    });
    const result = await collectDumps(serviceWith([source]), limits, { deadline: soon(), clients: { s3: client } });

    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'acme-dumps', Prefix: 'dumps/billing-api/', MaxKeys: 1000 },
      { Bucket: 'acme-dumps', Prefix: 'dumps/billing-api/', MaxKeys: 1000, ContinuationToken: 'next' },
    ]);
    // Only the newest object of each fresh replica is fetched.
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key).sort()).toEqual([
      'dumps/billing-api/10.0.7.9/20240501T100400Z.txt',
      'dumps/billing-api/pod-a/20240501T100500Z.txt',
      'dumps/billing-api/pod-b/20240501T100400Z.txt',
      'dumps/billing-api/pod-c/20240501T100400Z.pb.gz',
      'dumps/billing-api/pod-stale/20240501T093000Z.txt.gz',
    ]);
    const row = (replica: string) => result.replicas.find((r) => r.replica === replica)!;
    expect(row('pod-a')).toMatchObject({ source: 's3', address: '10.0.7.1', gap: null, bytes: DEBUG1.length, location: 's3://acme-dumps/dumps/billing-api/pod-a/20240501T100500Z.txt' });
    expect(row('pod-a').dump?.format).toBe('debug1');
    expect(Date.parse(row('pod-a').capturedAt!)).toBeLessThan(Date.now() - 60_000);
    expect(row('pod-b').dump?.format).toBe('debug2');
    expect(row('pod-b').bytes).toBe(DEBUG2.length);
    expect(row('pod-c').dump?.format).toBe('pprof');
    expect(row('pod-c').dump?.goroutines).toBe(33);
    expect(row('10.0.7.9').address).toBe('10.0.7.9');
    expect(row('10.0.7.9').gap?.reason).toMatch(/^not a goroutine dump: /);
    expect(row('pod-stale').dump?.format).toBe('debug1');
    expect(row('pod-stale').gap?.reason).toBe('dump is 30 min old');
    expect(result.replicas.find((r) => r.replica === 'pod-gone')).toBeUndefined();
    expect(result.gaps[0]).toEqual({
      source: 's3',
      target: 's3://acme-dumps/dumps/billing-api/',
      reason: '1 replica folder(s) have no dump newer than 60 min; left out',
    });
  });

  it('cuts an endless object at the byte cap, and a gzip bomb at the cap of unpacked text', async () => {
    const bomb = gzipSync(Buffer.concat(Array(200).fill(ENDLESS_CHUNK))); // 12.5 MiB of text, ~100 KiB packed
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'dumps/billing-api/big/1.txt', LastModified: minutesAgo(1), Size: 500e6 },
        { Key: 'dumps/billing-api/bomb/1.txt.gz', LastModified: minutesAgo(1), Size: bomb.length },
      ],
    });
    serve({ 'dumps/billing-api/big/1.txt': { body: endless }, 'dumps/billing-api/bomb/1.txt.gz': { body: () => Readable.from([bomb]) } });
    const result = await collectDumps(serviceWith([source]), limits, { deadline: soon(), clients: { s3: client } });
    for (const r of result.replicas) {
      expect(r.gap?.reason).toBe('body exceeded 1 MiB; read the first 1 MiB');
      expect(r.bytes).toBe(1 << 20);
      expect(r.dump?.truncated).toBe(true);
      expect(r.dump?.goroutines).toBeGreaterThan(300);
    }
    expect(result.replicas).toHaveLength(2);
  });

  it('treats objects directly under the prefix as one replica named after it', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'dumps/billing-api/20240501T100000Z.txt', LastModified: minutesAgo(3), Size: 10 },
        { Key: 'dumps/billing-api/20240501T100500Z.txt', LastModified: minutesAgo(1), Size: 10 },
      ],
    });
    serve({ 'dumps/billing-api/20240501T100500Z.txt': { body: () => Readable.from([DEBUG1]) } });
    const result = await collectDumps(serviceWith([source]), limits, { deadline: soon(), clients: { s3: client } });
    expect(result.replicas.map((r) => [r.replica, r.gap])).toEqual([['billing-api', null]]);
    expect(replicaOfKey('x/pod-1/t.txt', 'x/', 'b')).toBe('pod-1');
    expect(replicaOfKey('t.txt', '', 'bucket')).toBe('bucket');
  });

  it('names an empty prefix, dumps that are all too old, and access denied', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    let result = await collectDumps(serviceWith([source]), limits, { deadline: soon(), clients: { s3: client } });
    expect(result.gaps).toEqual([{ source: 's3', target: 's3://acme-dumps/dumps/billing-api/', reason: 'no dumps uploaded under this prefix' }]);

    s3Mock.reset();
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'dumps/billing-api/p/old.txt', LastModified: minutesAgo(180), Size: 10 }] });
    result = await collectDumps(serviceWith([source]), limits, { deadline: soon(), clients: { s3: client } });
    expect(result.gaps.map((g) => g.reason)).toEqual(['no dump newer than 60 min; the newest is 3 h old (dumps/billing-api/p/old.txt)']);

    s3Mock.reset();
    s3Mock.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    result = await collectDumps(serviceWith([source]), limits, { deadline: soon(), clients: { s3: client } });
    expect(result.gaps.map((g) => g.reason)).toEqual([
      "S3 ListObjectsV2: access denied — grant s3:ListBucket and s3:GetObject on s3://acme-dumps/dumps/billing-api/ to the bot's role",
    ]);
  });

  it('collects several sources at once, keeping catalog order', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'dumps/billing-api/p/1.txt', LastModified: minutesAgo(1), Size: 10 }] });
    serve({ 'dumps/billing-api/p/1.txt': { body: () => Readable.from([DEBUG1]) } });
    const refused = await closedPort();
    const result = await collectDumps(
      serviceWith([{ type: 'http', urls: [`http://127.0.0.1:${refused}/debug/pprof/goroutine`] }, source]),
      limits,
      { deadline: soon(), clients: { s3: client } },
    );
    expect(result.replicas.map((r) => [r.source, r.gap?.reason ?? null])).toEqual([
      ['http', 'connection refused'],
      ['s3', null],
    ]);
  });
});
