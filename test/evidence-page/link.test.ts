// Links to the page: presigned (offline, dummy credentials) for a bounded time, only for a page
// that exists, never for an id that is not one; the link survives Slack's redaction only as the
// page button's url; `/leak evidence` parses the id as the evidence store does.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryPageLinker, isPresignedPageUrl, S3PageLinker, PAGE_BUTTON_ACTION } from '../../lib/evidence-page/index.ts';
import { pageAnswer } from '../../lib/slack/render/evidence-page-note.ts';
import { parseLeakCommand } from '../../lib/slack/app/leak-command.ts';
import { redactMessage } from '../../lib/slack/post/sink.ts';

const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'dummy/secret/access/key/for/signing/only0', sessionToken: 'IQoJdummySessionToken'.repeat(8) } });
const s3 = mockClient(client);
afterEach(() => s3.reset());
const NOW = Date.parse('2026-12-02T04:00:00Z');

describe('evidence page links', () => {
  it('presigns a GET of the page for 24 h by default, at most 7 days, after checking it exists', async () => {
    s3.on(HeadObjectCommand).resolves({});
    const link = (await new S3PageLinker({ client, bucket: 'lh-evidence', now: () => NOW }).link('inc-42'))!;
    const url = new URL(link.url);
    expect(url.hostname).toBe('lh-evidence.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/incidents/inc-42/evidence.html');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(url.searchParams.get('response-content-type')).toBe('text/html; charset=utf-8');
    expect(link.expiresAt).toBe('2026-12-03T04:00:00.000Z');
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'lh-evidence', Key: 'incidents/inc-42/evidence.html' });
    const week = (await new S3PageLinker({ client, bucket: 'lh-evidence', hours: 10_000, now: () => NOW }).link('inc-42'))!;
    expect(new URL(week.url).searchParams.get('X-Amz-Expires')).toBe(String(7 * 24 * 3600));
  });

  it('no link for a page that is not there, or for an id that is not an incident id', async () => {
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } }));
    const linker = new S3PageLinker({ client, bucket: 'lh-evidence' });
    expect(await linker.link('inc-gone')).toBeNull();
    for (const id of ['../other', 'a/b', '', 'x'.repeat(400)]) expect(await linker.link(id)).toBeNull();
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
  });

  it('locally, the path of the page file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lh-page-link-'));
    mkdirSync(join(root, 'inc-1'));
    writeFileSync(join(root, 'inc-1', 'evidence.html'), '<!doctype html>');
    const linker = new DirectoryPageLinker(root);
    expect(await linker.link('inc-1')).toEqual({ url: join(root, 'inc-1', 'evidence.html'), expiresAt: null });
    expect(await linker.link('inc-2')).toBeNull();
    expect(await linker.link('..')).toBeNull();
  });

  it("the presigned link survives Slack's last redaction only as the page button's url", async () => {
    s3.on(HeadObjectCommand).resolves({});
    const link = (await new S3PageLinker({ client, bucket: 'lh-evidence' }).link('inc-42'))!;
    expect(isPresignedPageUrl(link.url)).toBe(true);
    expect(isPresignedPageUrl(link.url.replace('evidence.html', 'dumps.json'))).toBe(false);
    expect(isPresignedPageUrl(link.url.replace('https:', 'http:'))).toBe(false);
    const answer = pageAnswer('inc-42', link);
    const clean = redactMessage(answer);
    const button = (clean.blocks.at(-1) as { elements: Array<{ action_id: string; url: string }> }).elements[0]!;
    expect(button).toMatchObject({ action_id: PAGE_BUTTON_ACTION, url: link.url });
    expect(clean.text).toMatch(/link valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    // The same URL anywhere else loses its credentials.
    const leaked = redactMessage({ ...answer, text: `see ${link.url}` });
    expect(leaked.text).not.toContain(new URL(link.url).searchParams.get('X-Amz-Signature')!);
    expect(JSON.stringify(leaked.blocks)).toContain(link.url);
  });

  it('/leak evidence <incident> takes only an incident id', () => {
    const catalog = { services: [] };
    expect(parseLeakCommand('evidence inc-7:b%2F', catalog)).toEqual({ kind: 'evidence', incident: 'inc-7:b%2F' });
    expect(parseLeakCommand('evidence ../../x', catalog)).toEqual({ kind: 'evidence', incident: null });
    expect(parseLeakCommand('evidence', catalog)).toEqual({ kind: 'evidence', incident: null });
    expect(redactMessage(pageAnswer('inc-7', null)).text).toMatch(/No evidence page for incident/);
  });
});
