// Where a person opens the page. In S3 the bucket is private: the link is a presigned GET valid
// for a bounded time (24 h by default), re-issued on demand by `/leak evidence <incident>`.
// Locally the page is a file on this machine: its path. Signing is offline (no request), but the
// object is checked first, so a link never leads to a 404 or to another incident's folder.
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const PAGE_NAME = 'evidence.html';
export const PAGE_CONTENT_TYPE = 'text/html; charset=utf-8';
/** SigV4 allows 7 days; a link signed with temporary credentials (a Lambda role) ends when they do. */
export const MAX_LINK_HOURS = 7 * 24;
export const DEFAULT_LINK_HOURS = 24;

export interface PageLink {
  /** https:// presigned URL, or a file path. */
  url: string;
  /** ISO time the link stops working; null for a file. */
  expiresAt: string | null;
}

export interface PageLinker {
  /** Null when the incident has no page (never saved, expired, or not an incident id). */
  link(incidentId: string): Promise<PageLink | null>;
}

// The evidence stores' own rule for incident ids (lib/remediation/evidence.ts): one path segment.
const INCIDENT = /^[A-Za-z0-9][A-Za-z0-9._:%-]{0,299}$/;
export const isIncidentId = (id: string): boolean => INCIDENT.test(id) && !id.includes('..');

export interface S3PageLinkerOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix; default `incidents/` as S3EvidenceStore. */
  prefix?: string;
  hours?: number;
  /** For the existence check. Default 1.5 s: `/leak evidence` answers inside Slack's 3 s. */
  requestTimeoutMs?: number;
  now?: () => number;
}

export class S3PageLinker implements PageLinker {
  private readonly seconds: number;
  constructor(private readonly opts: S3PageLinkerOptions) {
    this.seconds = Math.round(linkHours(opts.hours) * 3600);
  }

  async link(incidentId: string): Promise<PageLink | null> {
    if (!isIncidentId(incidentId)) return null;
    const key = `${this.opts.prefix ?? 'incidents/'}${incidentId}/${PAGE_NAME}`;
    try {
      await this.opts.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }), { abortSignal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 1_500) });
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey') return null;
      throw err;
    }
    const signedAt = (this.opts.now ?? Date.now)();
    const url = await getSignedUrl(
      this.opts.client,
      // Opened in the browser, not downloaded; never cached by a shared proxy.
      new GetObjectCommand({ Bucket: this.opts.bucket, Key: key, ResponseContentType: PAGE_CONTENT_TYPE, ResponseCacheControl: 'private, no-store' }),
      { expiresIn: this.seconds, signingDate: new Date(signedAt) },
    );
    return { url, expiresAt: new Date(signedAt + this.seconds * 1000).toISOString() };
  }
}

export class DirectoryPageLinker implements PageLinker {
  private readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  async link(incidentId: string): Promise<PageLink | null> {
    if (!isIncidentId(incidentId)) return null;
    const path = join(this.root, incidentId, PAGE_NAME);
    return (await stat(path).catch(() => null))?.isFile() ? { url: path, expiresAt: null } : null;
  }
}

/** Hours a link stays valid: the configured value, bounded to (0, 7 days]. */
export function linkHours(hours: number | undefined): number {
  if (hours === undefined || !Number.isFinite(hours) || hours <= 0) return DEFAULT_LINK_HOURS;
  return Math.min(hours, MAX_LINK_HOURS);
}
