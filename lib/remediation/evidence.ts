// Evidence kept before a remedy destroys it: a restart takes the leaked goroutines and the held
// sessions with it. Dumps, the session snapshot and the Report are stored under the incident
// id and linked in the thread. S3 in production, a directory locally.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { redact } from '../redact/index.ts';

export interface EvidenceLink {
  name: string;
  /** Where a person opens it: the S3 console, or a file:// URL. */
  url: string;
  /** Where it is: `s3://bucket/key` or a file path. */
  location: string;
  bytes: number;
  contentType: string;
}

export interface PutEvidenceOptions {
  contentType?: string;
}

export interface EvidenceStore {
  put(incidentId: string, name: string, body: string | Uint8Array, options?: PutEvidenceOptions): Promise<EvidenceLink>;
  /** An item saved earlier (the evidence page is re-written from it after verification); null when absent. */
  get?(incidentId: string, name: string): Promise<Uint8Array | null>;
  /** Names of the items saved for the incident (the postmortem lists them). */
  list?(incidentId: string): Promise<string[]>;
}

export interface EvidenceItem {
  name: string;
  body: string | Uint8Array;
  contentType?: string;
}

// Both become path segments: no separators, no `..`, nothing a shell or a URL would mangle.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const INCIDENT = /^[A-Za-z0-9][A-Za-z0-9._:%-]{0,299}$/;

function checkIncident(incidentId: string): void {
  if (!INCIDENT.test(incidentId) || incidentId.includes('..')) throw new TypeError(`not a usable incident id for evidence: ${JSON.stringify(incidentId)}`);
}

function check(incidentId: string, name: string): void {
  checkIncident(incidentId);
  if (!NAME.test(name) || name.includes('..')) throw new TypeError(`not a usable evidence name: ${JSON.stringify(name)} (letters, digits, . _ -)`);
}

function guessType(name: string): string {
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.txt') || name.endsWith('.log')) return 'text/plain; charset=utf-8';
  if (name.endsWith('.png')) return 'image/png';
  if (name.endsWith('.html')) return 'text/html; charset=utf-8';
  if (name.endsWith('.gz') || name.endsWith('.pb.gz')) return 'application/gzip';
  return 'application/octet-stream';
}

const bytesOf = (body: string | Uint8Array): number => (typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);

export interface S3EvidenceStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix; default `incidents/`. */
  prefix?: string;
  /** For console links. */
  region?: string;
  /** SSE-KMS key; default SSE-S3 (AES256). Evidence can hold personal data: it is always encrypted. */
  kmsKeyId?: string;
  /** Per PutObject, retries included. Default 20 s. */
  requestTimeoutMs?: number;
}

export class S3EvidenceStore implements EvidenceStore {
  constructor(private readonly opts: S3EvidenceStoreOptions) {}

  async put(incidentId: string, name: string, body: string | Uint8Array, options: PutEvidenceOptions = {}): Promise<EvidenceLink> {
    check(incidentId, name);
    const key = `${this.opts.prefix ?? 'incidents/'}${incidentId}/${name}`;
    const contentType = options.contentType ?? guessType(name);
    // The S3 SDK loads with the first evidence stored (before a remedy), not with the worker.
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await this.opts.client.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...(this.opts.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.opts.kmsKeyId } : { ServerSideEncryption: 'AES256' }),
      }),
      { abortSignal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 20_000) },
    );
    const region = this.opts.region ? `&region=${encodeURIComponent(this.opts.region)}` : '';
    return {
      name,
      url: `https://console.aws.amazon.com/s3/object/${encodeURIComponent(this.opts.bucket)}?prefix=${encodeURIComponent(key)}${region}`,
      location: `s3://${this.opts.bucket}/${key}`,
      bytes: bytesOf(body),
      contentType,
    };
  }

  async get(incidentId: string, name: string): Promise<Uint8Array | null> {
    check(incidentId, name);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const out = await this.opts.client.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: `${this.opts.prefix ?? 'incidents/'}${incidentId}/${name}` }),
        { abortSignal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 20_000) },
      );
      return out.Body ? await out.Body.transformToByteArray() : null;
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw err;
    }
  }

  async list(incidentId: string): Promise<string[]> {
    checkIncident(incidentId);
    const prefix = `${this.opts.prefix ?? 'incidents/'}${incidentId}/`;
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const out = await this.opts.client.send(new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix, MaxKeys: 100 }), {
      abortSignal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 20_000),
    });
    return (out.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).filter(Boolean).sort();
  }
}

export class DirectoryEvidenceStore implements EvidenceStore {
  private readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(incidentId: string, name: string, body: string | Uint8Array, options: PutEvidenceOptions = {}): Promise<EvidenceLink> {
    check(incidentId, name);
    const dir = join(this.root, incidentId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, name);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, body, { mode: 0o600 });
    await rename(tmp, path);
    return { name, url: pathToFileURL(path).href, location: path, bytes: bytesOf(body), contentType: options.contentType ?? guessType(name) };
  }

  async get(incidentId: string, name: string): Promise<Uint8Array | null> {
    check(incidentId, name);
    return readFile(join(this.root, incidentId, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
  }

  async list(incidentId: string): Promise<string[]> {
    checkIncident(incidentId);
    // put() writes through a .tmp file and renames it: a half-written item is not listed.
    return readdir(join(this.root, incidentId)).then(
      (names) => names.filter((n) => !n.endsWith('.tmp')).sort(),
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      },
    );
  }
}

export interface SavedEvidence {
  links: EvidenceLink[];
  /** `name: why` for each item that could not be stored. */
  problems: string[];
}

/** Stores every item (in parallel); one failure does not lose the others. */
export async function saveEvidence(store: EvidenceStore, incidentId: string, items: EvidenceItem[]): Promise<SavedEvidence> {
  const results = await Promise.allSettled(items.map((i) => store.put(incidentId, i.name, i.body, { contentType: i.contentType })));
  const links: EvidenceLink[] = [];
  const problems: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') links.push(r.value);
    // Metadata that reaches the audit log and Slack: the error of a store may quote anything.
    else problems.push(redact(`${items[i]!.name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`));
  });
  return { links, problems };
}
