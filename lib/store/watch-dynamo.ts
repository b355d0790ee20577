// The watch's records in the store's DynamoDB table (dynamo-table.ts), in their own partitions:
//
//   item               pk                   sk                  ttl
//   sample             WATCH#<service>      SAMPLE#<at ISO>     at + window × 2
//   notice             WATCH#<service>      NOTICE#<kind>       last update + a day
//   restart mark       WATCH#<service>      RESTART             end of the regression watch
//
// Samples are bounded by their TTL (at 5-minute runs, a 2-hour window keeps ~48) and every read
// by a Query limit. DynamoDB deletes expired items only eventually, so reads skip them.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { documentClient, TTL_ATTRIBUTE } from './dynamo-table.ts';
import { epochSeconds } from './records.ts';
import { restartMarkSchema, watchNoticeSchema, watchSampleSchema, type RestartMark, type WatchNotice, type WatchSample, type WatchStore } from './watch-model.ts';

type Item = Record<string, NativeAttributeValue>;

export interface DynamoWatchStoreOptions {
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  requestTimeoutMs?: number;
  now?: () => number;
  /** Where unreadable items are reported; default a warning on stderr. */
  onUnreadable?: (key: string, reason: string) => void;
}

const pkOf = (service: string) => `WATCH#${encodeURIComponent(service)}`;

export class DynamoWatchStore implements WatchStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly onUnreadable: (key: string, reason: string) => void;

  constructor(options: DynamoWatchStoreOptions) {
    this.doc = documentClient(options.client);
    this.table = options.tableName;
    this.timeoutMs = options.requestTimeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.onUnreadable = options.onUnreadable ?? ((key, reason) => console.warn(JSON.stringify({ level: 'warn', msg: 'unreadable watch record', key, reason })));
  }

  private signal() {
    return { abortSignal: AbortSignal.timeout(this.timeoutMs) };
  }

  private read<T>(schema: z.ZodType<T>, item: Item | undefined): T | null {
    if (!item) return null;
    const ttl = item[TTL_ATTRIBUTE];
    if (typeof ttl === 'number' && ttl <= epochSeconds(this.now())) return null;
    const parsed = schema.safeParse(item['value']);
    if (!parsed.success) {
      this.onUnreadable(`${String(item['pk'])}/${String(item['sk'])}`, parsed.error.issues[0]?.message ?? 'invalid');
      return null;
    }
    return parsed.data;
  }

  async addSample(sample: WatchSample, bounds: { keep: number; ttlSeconds: number }): Promise<void> {
    const s = watchSampleSchema.parse(sample);
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { pk: pkOf(s.service), sk: `SAMPLE#${s.at}`, value: s, [TTL_ATTRIBUTE]: epochSeconds(Date.parse(s.at)) + bounds.ttlSeconds } }),
      this.signal(),
    );
  }

  async listSamples(service: string, sinceMs: number, limit: number): Promise<WatchSample[]> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pkOf(service), ':from': `SAMPLE#${new Date(sinceMs).toISOString()}`, ':to': 'SAMPLE#~' },
        ScanIndexForward: false,
        Limit: limit,
      }),
      this.signal(),
    );
    return (res.Items ?? [])
      .map((i) => this.read(watchSampleSchema, i))
      .filter((s): s is WatchSample => s !== null)
      .reverse();
  }

  async getNotice(service: string, kind: WatchNotice['kind']): Promise<WatchNotice | null> {
    const res = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: pkOf(service), sk: `NOTICE#${kind}` }, ConsistentRead: true }), this.signal());
    return this.read(watchNoticeSchema, res.Item);
  }

  async putNotice(notice: WatchNotice, ttlSeconds: number): Promise<void> {
    const n = watchNoticeSchema.parse(notice);
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { pk: pkOf(n.service), sk: `NOTICE#${n.kind}`, value: n, [TTL_ATTRIBUTE]: epochSeconds(this.now()) + ttlSeconds } }),
      this.signal(),
    );
  }

  async clearNotice(service: string, kind: WatchNotice['kind']): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: pkOf(service), sk: `NOTICE#${kind}` } }), this.signal());
  }

  async markRestart(mark: RestartMark): Promise<void> {
    const m = restartMarkSchema.parse(mark);
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { pk: pkOf(m.service), sk: 'RESTART', value: m, [TTL_ATTRIBUTE]: epochSeconds(Date.parse(m.until)) } }),
      this.signal(),
    );
  }

  async getRestart(service: string): Promise<RestartMark | null> {
    const res = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: pkOf(service), sk: 'RESTART' }, ConsistentRead: true }), this.signal());
    return this.read(restartMarkSchema, res.Item);
  }
}
