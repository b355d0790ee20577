// Where Slack messages go: the Web API (WebApiSink) or the terminal (ConsoleSink, for npm run dev,
// the demo and the CLI: it prints exactly what Slack would get, as readable text).
import { isPresignedPageUrl, PAGE_BUTTON_ACTION } from '../../evidence-page/index.ts';
import type { WebClient } from '@slack/web-api';
import { escapeControlKeepLines, redactDeep } from '../../redact/index.ts';
import { messageToText } from '../render/console-text.ts';
import type { SlackMessage } from '../render/block-kit.ts';

export interface PostTarget {
  channel: string;
  /** Reply in this thread. */
  threadTs?: string;
}

export interface FileUpload {
  channel: string;
  threadTs: string;
  filename: string;
  title: string;
  altText: string;
  data: Uint8Array;
}

export interface SlackSink {
  post(target: PostTarget, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  ephemeral(channel: string, user: string, message: SlackMessage, threadTs?: string): Promise<void>;
  delete(channel: string, ts: string): Promise<void>;
  upload(file: FileUpload): Promise<void>;
}

/** Values the renderers made (ids, action ids, event types): never rewritten. */
const ID_KEYS: ReadonlySet<string> = new Set(['value', 'action_id', 'block_id', 'type', 'style', 'event_type', 'incident_id', 'approval_id', 'report_id']);

/**
 * The last fence before a message leaves: every text of it (the fallback, every block, the
 * metadata) through lib/redact, with the listed secrets (bot token, signing secret, database
 * passwords) besides the process's own. The renderers redact their inputs before clipping them;
 * this catches what a renderer forgot.
 */
export function redactMessage(message: SlackMessage, secrets: readonly string[] = []): SlackMessage {
  const clean = redactDeep(message, { known: secrets.filter((s) => s.length >= 6), skipKeys: ID_KEYS });
  return keepPageLinks(message, clean);
}

/** The evidence page's presigned link survives in a link button's `url`, and nowhere else (lib/evidence-page/link.ts). */
function keepPageLinks(original: SlackMessage, clean: SlackMessage): SlackMessage {
  original.blocks.forEach((block, i) => {
    if (block.type !== 'actions') return;
    block.elements.forEach((el, j) => {
      if (el.type !== 'button' || el.action_id !== PAGE_BUTTON_ACTION || !el.url || !isPresignedPageUrl(el.url)) return;
      const target = (clean.blocks[i] as typeof block).elements[j] as typeof el;
      target.url = el.url;
    });
  });
  return clean;
}

export interface WebApiSinkOptions {
  /** Values that must never leave in a message. */
  secrets?: readonly string[];
}

export class WebApiSink implements SlackSink {
  constructor(
    private readonly client: WebClient,
    private readonly options: WebApiSinkOptions = {},
  ) {}

  private clean(m: SlackMessage): SlackMessage {
    return redactMessage(m, this.options.secrets ?? []);
  }

  async post(target: PostTarget, message: SlackMessage): Promise<{ channel: string; ts: string }> {
    const m = this.clean(message);
    const res = await this.client.chat.postMessage({
      channel: target.channel,
      text: m.text,
      blocks: m.blocks,
      ...(m.metadata ? { metadata: m.metadata } : {}),
      ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!res.ts || !res.channel) throw new Error('chat.postMessage answered without ts/channel');
    return { channel: res.channel, ts: res.ts };
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    const m = this.clean(message);
    await this.client.chat.update({ channel, ts, text: m.text, blocks: m.blocks, ...(m.metadata ? { metadata: m.metadata } : {}) });
  }

  async ephemeral(channel: string, user: string, message: SlackMessage, threadTs?: string): Promise<void> {
    const m = this.clean(message);
    await this.client.chat.postEphemeral({ channel, user, text: m.text, blocks: m.blocks, ...(threadTs ? { thread_ts: threadTs } : {}) });
  }

  async delete(channel: string, ts: string): Promise<void> {
    await this.client.chat.delete({ channel, ts });
  }

  async upload(file: FileUpload): Promise<void> {
    await this.client.filesUploadV2({
      channel_id: file.channel,
      thread_ts: file.threadTs,
      file: Buffer.from(file.data),
      filename: file.filename,
      title: file.title,
      alt_text: file.altText,
    });
  }
}

export interface ConsoleSinkOptions {
  write?: (text: string) => void;
}

/** Prints each message as Slack would show it, with a line saying where it went. */
export class ConsoleSink implements SlackSink {
  private seq = 0;
  private readonly write: (text: string) => void;
  /** Slack answers with channel ids; so does this sink, and prints the names it was given. */
  private readonly ids = new Map<string, string>();
  private readonly names = new Map<string, string>();

  private idOf(channel: string): string {
    if (!channel.startsWith('#')) return channel;
    let id = this.ids.get(channel);
    if (!id) {
      id = `C${String(this.ids.size + 1).padStart(8, '0')}`;
      this.ids.set(channel, id);
      this.names.set(id, channel);
    }
    return id;
  }

  private nameOf(channel: string): string {
    return this.names.get(channel) ?? channel;
  }

  constructor(options: ConsoleSinkOptions = {}) {
    this.write = options.write ?? ((t) => process.stdout.write(t));
  }

  private nextTs(): string {
    this.seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }

  private print(where: string, message: SlackMessage | null): void {
    const rule = `── ${where} `.padEnd(72, '─');
    // A terminal: the same redaction as Slack gets, and no control character from the data.
    const text = message ? messageToText(redactMessage(message)) : '';
    this.write(escapeControlKeepLines(`${rule}\n${text}${message ? '\n' : ''}\n`));
  }

  async post(target: PostTarget, message: SlackMessage): Promise<{ channel: string; ts: string }> {
    const ts = this.nextTs();
    const channel = this.idOf(target.channel);
    this.print(`${this.nameOf(channel)} · ${target.threadTs ? `reply in thread ${target.threadTs}` : 'new message'} · ts ${ts}`, message);
    return { channel, ts };
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    this.print(`${this.nameOf(channel)} · message ${ts} updated`, message);
  }

  async ephemeral(channel: string, user: string, message: SlackMessage): Promise<void> {
    this.print(`${this.nameOf(channel)} · only visible to ${user}`, message);
  }

  async delete(channel: string, ts: string): Promise<void> {
    this.print(`${this.nameOf(channel)} · message ${ts} deleted`, null);
  }

  async upload(file: FileUpload): Promise<void> {
    this.print(`${this.nameOf(file.channel)} · thread ${file.threadTs} · file ${file.filename} (${Math.ceil(file.data.byteLength / 1024)} kB): ${file.title}`, null);
  }
}
