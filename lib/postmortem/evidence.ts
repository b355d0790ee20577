// Reading back what a restart saved as evidence (report.json above all): a directory locally,
// the evidence bucket in production. The writer side is lib/remediation/evidence.ts.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface EvidenceReader {
  /** The item's text, or null when there is none. */
  get(incidentId: string, name: string): Promise<string | null>;
  /** Names of the items saved for the incident. */
  list(incidentId: string): Promise<string[]>;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._:%-]{0,299}$/;
const usable = (incidentId: string, name = 'x') => SAFE.test(incidentId) && !incidentId.includes('..') && SAFE.test(name) && !name.includes('..');
/** Evidence files are small (a Report, a snapshot); a larger one is not read whole here. */
const MAX_BYTES = 16 * 1024 * 1024;

export class DirectoryEvidenceReader implements EvidenceReader {
  private readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  async get(incidentId: string, name: string): Promise<string | null> {
    if (!usable(incidentId, name)) return null;
    try {
      const text = await readFile(join(this.root, incidentId, name), 'utf8');
      return text.length > MAX_BYTES ? null : text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async list(incidentId: string): Promise<string[]> {
    if (!usable(incidentId)) return [];
    try {
      return (await readdir(join(this.root, incidentId))).filter((n) => !n.endsWith('.tmp')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}

export class S3EvidenceReader implements EvidenceReader {
  constructor(private readonly opts: { client: S3Client; bucket: string; prefix?: string; requestTimeoutMs?: number }) {}

  private key(incidentId: string, name = ''): string {
    return `${this.opts.prefix ?? 'incidents/'}${incidentId}/${name}`;
  }

  async get(incidentId: string, name: string): Promise<string | null> {
    if (!usable(incidentId, name)) return null;
    try {
      const res = await this.opts.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.key(incidentId, name) }), {
        abortSignal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
      });
      if ((res.ContentLength ?? 0) > MAX_BYTES) return null;
      return (await res.Body?.transformToString('utf-8')) ?? null;
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async list(incidentId: string): Promise<string[]> {
    if (!usable(incidentId)) return [];
    const prefix = this.key(incidentId);
    const res = await this.opts.client.send(new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix, MaxKeys: 100 }), {
      abortSignal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
    });
    return (res.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).filter(Boolean).sort();
  }
}
