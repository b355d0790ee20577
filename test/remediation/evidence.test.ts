import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryEvidenceStore, S3EvidenceStore, saveEvidence, type EvidenceStore } from '../../lib/remediation/index.ts';

const s3Mock = mockClient(S3Client);
afterEach(() => s3Mock.reset());
const INCIDENT = 'billing-api:db-connections-high:20250501-120000-abcdef';

describe('S3EvidenceStore', () => {
  const store = (over: Partial<ConstructorParameters<typeof S3EvidenceStore>[0]> = {}) =>
    new S3EvidenceStore({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'acme-leakhound', region: 'eu-west-1', ...over });

  it('puts the object under the incident, encrypted, and links it', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const link = await store().put(INCIDENT, 'goroutines-debug1.txt', 'goroutine profile: total 3\n');
    const input = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toEqual({
      Bucket: 'acme-leakhound',
      Key: `incidents/${INCIDENT}/goroutines-debug1.txt`,
      Body: 'goroutine profile: total 3\n',
      ContentType: 'text/plain; charset=utf-8',
      ServerSideEncryption: 'AES256',
    });
    expect(link).toEqual({
      name: 'goroutines-debug1.txt',
      location: `s3://acme-leakhound/incidents/${INCIDENT}/goroutines-debug1.txt`,
      url: `https://console.aws.amazon.com/s3/object/acme-leakhound?prefix=${encodeURIComponent(`incidents/${INCIDENT}/goroutines-debug1.txt`)}&region=eu-west-1`,
      bytes: 27,
      contentType: 'text/plain; charset=utf-8',
    });
  });

  it('uses SSE-KMS with a key, a custom prefix and an explicit content type', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const body = new Uint8Array([0x1f, 0x8b, 1, 2]);
    await store({ kmsKeyId: 'alias/leakhound', prefix: 'evidence/' }).put(INCIDENT, 'goroutines.pb.gz', body, { contentType: 'application/vnd.pprof' });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Key: `evidence/${INCIDENT}/goroutines.pb.gz`,
      Body: body,
      ContentType: 'application/vnd.pprof',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/leakhound',
    });
  });

  it('refuses names that could escape the incident folder', async () => {
    for (const [inc, name] of [[INCIDENT, '../x'], [INCIDENT, 'a/b'], ['../etc', 'x'], [INCIDENT, ''], ['a/b', 'x']] as const) {
      await expect(store().put(inc, name, 'x')).rejects.toThrow(TypeError);
    }
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('DirectoryEvidenceStore', () => {
  it('writes files under root/<incident>/ readable only by the owner', async () => {
    const root = await mkdtemp(join(tmpdir(), 'leakhound-evidence-'));
    try {
      const link = await new DirectoryEvidenceStore(root).put(INCIDENT, 'report.json', '{"verdict":"leak"}');
      const path = join(root, INCIDENT, 'report.json');
      expect(link).toMatchObject({ name: 'report.json', location: path, bytes: 18, contentType: 'application/json' });
      expect(link.url).toMatch(/^file:\/\//);
      expect(await readFile(path, 'utf8')).toBe('{"verdict":"leak"}');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('saveEvidence', () => {
  it('saves what it can and names what it could not', async () => {
    const store: EvidenceStore = {
      async put(incidentId, name, body) {
        if (name === 'bad.txt') throw new Error('AccessDenied');
        return { name, url: `mem://${incidentId}/${name}`, location: name, bytes: String(body).length, contentType: 'text/plain' };
      },
    };
    const saved = await saveEvidence(store, INCIDENT, [
      { name: 'a.txt', body: 'a' },
      { name: 'bad.txt', body: 'b' },
      { name: 'c.txt', body: 'c' },
    ]);
    expect(saved.links.map((l) => l.name)).toEqual(['a.txt', 'c.txt']);
    expect(saved.problems).toEqual(['bad.txt: AccessDenied']);
  });
});
