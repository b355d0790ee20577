// A local stand-in for the Slack Web API: answers the methods Leakhound calls, checks messages
// against Block Kit limits the way Slack would (invalid_blocks), records every call with its raw
// body, and can answer 429 with Retry-After to exercise WebClient's rate-limit handling, or 5xx
// to stand in for an outage.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

export interface RecordedCall {
  method: string;
  /** Parsed form fields (JSON-valued fields decoded). */
  params: Record<string, unknown>;
  /** The body exactly as received (latin1 for binary uploads). */
  raw: string;
  authorization: string | null;
  status: number;
  at: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[];
  metadata: unknown;
  updates: number;
  deleted: boolean;
}

const LIMITS = { blocks: 50, section: 3000, field: 2000, header: 150, buttonText: 75, buttonValue: 2000, context: 10 };

/** Returns the first Block Kit problem Slack would refuse, or null. */
export function blockKitProblem(blocks: unknown): string | null {
  if (!Array.isArray(blocks)) return 'blocks is not an array';
  if (blocks.length > LIMITS.blocks) return `${blocks.length} blocks > ${LIMITS.blocks}`;
  for (const [i, b] of blocks.entries()) {
    const block = b as Record<string, any>;
    const at = `blocks[${i}] (${block.type})`;
    switch (block.type) {
      case 'header':
        if (block.text?.type !== 'plain_text') return `${at}: header text must be plain_text`;
        if (!block.text.text || block.text.text.length > LIMITS.header) return `${at}: header text length ${block.text.text?.length}`;
        break;
      case 'section':
        if (!block.text && !block.fields) return `${at}: section needs text or fields`;
        if (block.text && (!block.text.text || block.text.text.length > LIMITS.section)) return `${at}: text length ${block.text.text?.length}`;
        if (block.fields && (block.fields.length > 10 || block.fields.some((f: any) => !f.text || f.text.length > LIMITS.field))) return `${at}: fields`;
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > LIMITS.context) return `${at}: elements`;
        if (block.elements.some((e: any) => !e.text || e.text.length > LIMITS.section)) return `${at}: element text`;
        break;
      case 'actions':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) return `${at}: elements`;
        for (const e of block.elements) {
          if (e.type !== 'button') continue;
          if (!e.text?.text || e.text.text.length > LIMITS.buttonText) return `${at}: button text ${e.text?.text?.length}`;
          if (typeof e.value === 'string' && e.value.length > LIMITS.buttonValue) return `${at}: button value`;
          if (e.confirm) {
            if (e.confirm.title.text.length > 100 || e.confirm.text.text.length > 300 || e.confirm.confirm.text.length > 30 || e.confirm.deny.text.length > 30) return `${at}: confirm`;
          }
        }
        break;
      case 'divider':
        break;
      default:
        return `${at}: unexpected block type`;
    }
  }
  return null;
}

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<string, StoredMessage>();
  /** usergroup id → member ids. */
  usergroups: Record<string, string[]> = {};
  /** Answer the next N calls of a method with 429 and this Retry-After. */
  private readonly rateLimits = new Map<string, { times: number; retryAfter: number }>();
  /** Answer the next N calls of a method with this HTTP error (a Slack outage). */
  private readonly failures = new Map<string, { times: number; status: number }>();
  /** Delay every answer (to check timeouts). */
  delayMs = 0;
  /** Delay each answer by what this returns (randomised latency), on top of `delayMs`. */
  jitterMs: (() => number) | null = null;
  private server: Server | null = null;
  private seq = 0;
  private base = '';
  readonly uploads = new Map<string, { bytes: number; filename: string | null }>();

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  rateLimit(method: string, retryAfterSeconds: number, times = 1): void {
    this.rateLimits.set(method, { times, retryAfter: retryAfterSeconds });
  }

  /** The next `times` calls of `method` get `status` (500, 502, 503…) instead of an answer. */
  fail(method: string, status: number, times = 1): void {
    this.failures.set(method, { times, status });
  }

  reset(): void {
    this.calls.length = 0;
    this.messages.clear();
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  /** Top-level messages (not thread replies) posted to a channel. */
  topLevel(channel?: string): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.threadTs === null && !m.deleted && (channel === undefined || m.channel === channel));
  }

  replies(threadTs: string): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.threadTs === threadTs && !m.deleted);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.base);
    const contentType = req.headers['content-type'] ?? '';
    let params: Record<string, unknown> = {};
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      params = decodeForm(body.toString('utf8'));
    } else if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
      for (const [k, v] of form.entries()) params[k] = typeof v === 'string' ? v : `<file ${v.size} bytes>`;
    } else if (contentType.startsWith('application/json')) {
      params = JSON.parse(body.toString('utf8') || '{}');
    }
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice(5) : url.pathname.startsWith('/upload/') ? 'upload' : url.pathname;
    const call: RecordedCall = { method, params, raw: body.toString('latin1'), authorization: req.headers.authorization ?? null, status: 200, at: Date.now() };
    this.calls.push(call);

    const limit = this.rateLimits.get(method);
    if (limit && limit.times > 0) {
      limit.times -= 1;
      call.status = 429;
      res.writeHead(429, { 'retry-after': String(limit.retryAfter), 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const failure = this.failures.get(method);
    if (failure && failure.times > 0) {
      failure.times -= 1;
      call.status = failure.status;
      res.writeHead(failure.status, { 'content-type': 'text/html' });
      res.end('<html><body>upstream error</body></html>');
      return;
    }
    const delay = this.delayMs + (this.jitterMs?.() ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (method === 'upload') {
      const id = url.pathname.slice('/upload/'.length);
      this.uploads.set(id, { bytes: body.byteLength, filename: null });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${body.byteLength}`);
      return;
    }
    if (!req.headers.authorization?.startsWith('Bearer xoxb-')) return this.json(res, { ok: false, error: 'not_authed' });
    this.json(res, this.answer(method, params));
  }

  private json(res: ServerResponse, value: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  }

  private nextTs(): string {
    this.seq += 1;
    return `1700000000.${String(this.seq).padStart(6, '0')}`;
  }

  private answer(method: string, p: Record<string, any>): unknown {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', user: 'leakhound' };
      case 'chat.postMessage': {
        const problem = blockKitProblem(p.blocks ?? []);
        if (problem) return { ok: false, error: 'invalid_blocks', detail: problem };
        if (typeof p.text === 'string' && p.text.length > 40_000) return { ok: false, error: 'msg_too_long' };
        const channel = channelId(p.channel);
        const ts = this.nextTs();
        this.messages.set(ts, { channel, ts, threadTs: p.thread_ts ?? null, text: p.text ?? '', blocks: p.blocks ?? [], metadata: p.metadata ?? null, updates: 0, deleted: false });
        return { ok: true, channel, ts, message: { ts, text: p.text } };
      }
      case 'chat.update': {
        const problem = blockKitProblem(p.blocks ?? []);
        if (problem) return { ok: false, error: 'invalid_blocks', detail: problem };
        const m = this.messages.get(p.ts);
        if (!m || m.channel !== p.channel) return { ok: false, error: 'message_not_found' };
        Object.assign(m, { text: p.text ?? m.text, blocks: p.blocks ?? m.blocks, metadata: p.metadata ?? m.metadata, updates: m.updates + 1 });
        return { ok: true, channel: m.channel, ts: m.ts };
      }
      case 'chat.delete': {
        const m = this.messages.get(p.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        m.deleted = true;
        return { ok: true, channel: m.channel, ts: m.ts };
      }
      case 'chat.postEphemeral': {
        const problem = blockKitProblem(p.blocks ?? []);
        if (problem) return { ok: false, error: 'invalid_blocks', detail: problem };
        return { ok: true, message_ts: this.nextTs() };
      }
      case 'files.getUploadURLExternal': {
        if (!p.filename || !p.length) return { ok: false, error: 'invalid_arguments' };
        const id = `F${++this.seq}`;
        this.uploads.set(id, { bytes: 0, filename: p.filename });
        return { ok: true, upload_url: `${this.base}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (p.files ?? []) as Array<{ id: string; title?: string }>;
        if (!files.length || files.some((f) => !this.uploads.get(f.id)?.bytes)) return { ok: false, error: 'file_not_found' };
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      case 'usergroups.users.list': {
        const users = this.usergroups[p.usergroup];
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

/** `#name` channels get a stable id, as Slack answers with ids. */
function channelId(channel: string): string {
  if (!channel.startsWith('#')) return channel;
  let h = 0;
  for (const ch of channel) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `C${h.toString(36).toUpperCase().padStart(8, '0')}`;
}

function decodeForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parseQuery(text))) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string' && /^[[{]/.test(value)) {
      try {
        out[k] = JSON.parse(value);
        continue;
      } catch {
        // not JSON: keep the text
      }
    }
    out[k] = value;
  }
  return out;
}

export { channelId };
