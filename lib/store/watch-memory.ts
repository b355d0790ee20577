// The watch's records in memory, optionally persisted to a JSON file (for `leakhound watch`,
// whose runs are separate processes). Expired records are dropped on sight, as in DynamoDB.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { epochSeconds } from './records.ts';
import { restartMarkSchema, watchNoticeSchema, watchSampleSchema, type RestartMark, type WatchNotice, type WatchSample, type WatchStore } from './watch-model.ts';

const kept = <T extends z.ZodType>(value: T) => z.object({ value, expiresAt: z.number().nullable() });
const fileSchema = z.object({
  version: z.literal(1),
  samples: z.array(kept(watchSampleSchema)),
  notices: z.array(kept(watchNoticeSchema)),
  restarts: z.array(kept(restartMarkSchema)),
});
type Kept<T> = { value: T; expiresAt: number | null };

export interface MemoryWatchStoreOptions {
  now?: () => number;
  file?: string;
}

export class MemoryWatchStore implements WatchStore {
  private readonly now: () => number;
  private readonly file: string | null;
  private samples = new Map<string, Kept<WatchSample>[]>();
  private readonly notices = new Map<string, Kept<WatchNotice>>();
  private readonly restarts = new Map<string, Kept<RestartMark>>();

  constructor(options: MemoryWatchStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.file = options.file ?? null;
  }

  static async open(file: string, options: Omit<MemoryWatchStoreOptions, 'file'> = {}): Promise<MemoryWatchStore> {
    const store = new MemoryWatchStore({ ...options, file });
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      const parsed = fileSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`${file}: not a Leakhound watch file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      for (const s of parsed.data.samples) store.listOf(s.value.service).push(s);
      for (const n of parsed.data.notices) store.notices.set(`${n.value.service}\u0000${n.value.kind}`, n);
      for (const r of parsed.data.restarts) store.restarts.set(r.value.service, r);
    }
    return store;
  }

  private listOf(service: string): Kept<WatchSample>[] {
    let list = this.samples.get(service);
    if (!list) this.samples.set(service, (list = []));
    return list;
  }

  private alive<T>(k: Kept<T> | undefined): T | null {
    if (!k) return null;
    return k.expiresAt !== null && k.expiresAt <= epochSeconds(this.now()) ? null : k.value;
  }

  async addSample(sample: WatchSample, bounds: { keep: number; ttlSeconds: number }): Promise<void> {
    const s = watchSampleSchema.parse(sample);
    const list = this.listOf(s.service).filter((k) => this.alive(k) !== null);
    list.push({ value: s, expiresAt: epochSeconds(Date.parse(s.at)) + bounds.ttlSeconds });
    list.sort((a, b) => a.value.at.localeCompare(b.value.at));
    this.samples.set(s.service, list.slice(-bounds.keep));
    await this.persist();
  }

  async listSamples(service: string, sinceMs: number, limit: number): Promise<WatchSample[]> {
    return (this.samples.get(service) ?? [])
      .map((k) => this.alive(k))
      .filter((s): s is WatchSample => s !== null && Date.parse(s.at) >= sinceMs)
      .slice(-limit)
      .map((s) => structuredClone(s));
  }

  async getNotice(service: string, kind: WatchNotice['kind']): Promise<WatchNotice | null> {
    const n = this.alive(this.notices.get(`${service}\u0000${kind}`));
    return n ? structuredClone(n) : null;
  }

  async putNotice(notice: WatchNotice, ttlSeconds: number): Promise<void> {
    const n = watchNoticeSchema.parse(notice);
    this.notices.set(`${n.service}\u0000${n.kind}`, { value: n, expiresAt: epochSeconds(this.now()) + ttlSeconds });
    await this.persist();
  }

  async clearNotice(service: string, kind: WatchNotice['kind']): Promise<void> {
    if (this.notices.delete(`${service}\u0000${kind}`)) await this.persist();
  }

  async markRestart(mark: RestartMark): Promise<void> {
    const m = restartMarkSchema.parse(mark);
    this.restarts.set(m.service, { value: m, expiresAt: epochSeconds(Date.parse(m.until)) });
    await this.persist();
  }

  async getRestart(service: string): Promise<RestartMark | null> {
    const m = this.alive(this.restarts.get(service));
    return m ? structuredClone(m) : null;
  }

  private async persist(): Promise<void> {
    if (!this.file) return;
    const live = <T>(list: Iterable<Kept<T>>) => [...list].filter((k) => this.alive(k) !== null);
    const data = {
      version: 1 as const,
      samples: [...this.samples.values()].flatMap(live),
      notices: live(this.notices.values()),
      restarts: live(this.restarts.values()),
    };
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(data), { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
