// The local Store: for the CLI, the demo and tests. Every operation reads and writes its maps
// without an await in between, so within one process it is as atomic as DynamoDB's conditional
// writes. With a file it persists after each change (one process at a time: no file locking).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readStoreFile } from './json-file.ts';
import {
  DEFAULT_FLAPPING_WINDOW_MINUTES,
  DEFAULT_RETENTION_DAYS,
  type AlarmEvent,
  type AlarmRecorded,
  type Approval,
  type ApprovalState,
  type AuditEntry,
  type AuditInput,
  type DumpBaseline,
  type Incident,
  type NewApproval,
  type SetThreadResult,
  type SlackThread,
  type Store,
  type StoreOptions,
  type TransitionResult,
} from './model.ts';
import {
  alarmEventSchema,
  approvalSchema,
  auditEntrySchema,
  auditInputSchema,
  baselineJson,
  dumpBaselineSchema,
  epochSeconds,
  idempotencyKeySchema,
  incidentSchema,
  isAllowedTransition,
  newApprovalSchema,
  newId,
  newIncidentId,
  approvalStepSchema,
  auditEntryOf,
  auditText,
  readable,
  slackThreadSchema,
  toIso,
  toMs,
  ttlSecondsSchema,
} from './records.ts';

/** Every record carries its TTL (epoch seconds) the way DynamoDB items do; null = kept. */
interface Kept<T> {
  value: T;
  expiresAt: number | null;
}

const kept = <T extends z.ZodType>(value: T) => z.object({ value, expiresAt: z.number().nullable() });

const fileSchema = z.object({
  version: z.literal(1),
  incidents: z.array(kept(incidentSchema)),
  /** [service, kind, incidentId] */
  current: z.array(z.tuple([z.string(), z.string(), z.string()])),
  approvals: z.array(kept(approvalSchema)),
  audit: z.array(kept(auditEntrySchema)),
  baselines: z.array(dumpBaselineSchema),
  claims: z.array(z.tuple([z.string(), z.number()])),
});

const clone = <T>(v: T): T => structuredClone(v);

export interface MemoryStoreOptions extends StoreOptions {
  /** Persist to this JSON file after every change (see `MemoryStore.open`). */
  file?: string;
}

export class MemoryStore implements Store {
  private readonly now: () => number;
  private readonly flapMinutes: number;
  private readonly retentionSeconds: number;
  private readonly file: string | null;
  private writing: Promise<void> = Promise.resolve();

  private readonly incidents = new Map<string, Kept<Incident>>();
  private readonly current = new Map<string, string>();
  private readonly approvals = new Map<string, Kept<Approval>>();
  private readonly audit: Kept<AuditEntry>[] = [];
  private readonly baselines = new Map<string, DumpBaseline>();
  private readonly claims = new Map<string, number>();

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.flapMinutes = options.flappingWindowMinutes ?? DEFAULT_FLAPPING_WINDOW_MINUTES;
    this.retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
    this.file = options.file ?? null;
  }

  /** A store backed by `file`, loaded if it exists (and validated: a hand-edited file fails loudly). */
  static async open(file: string, options: StoreOptions = {}): Promise<MemoryStore> {
    const store = new MemoryStore({ ...options, file });
    const data = await readStoreFile(file, fileSchema, 'store');
    if (data !== null) {
      for (const i of data.incidents) store.incidents.set(i.value.id, i as Kept<Incident>);
      for (const [service, kind, id] of data.current) store.current.set(keyOf(service, kind), id);
      for (const a of data.approvals) store.approvals.set(a.value.id, a as Kept<Approval>);
      store.audit.push(...(data.audit as Kept<AuditEntry>[]));
      for (const b of data.baselines) store.baselines.set(b.service, b as DumpBaseline);
      for (const [k, exp] of data.claims) store.claims.set(k, exp);
    }
    return store;
  }

  // -------------------------------------------------------------------------------------------
  // Incidents

  async recordAlarm(event: AlarmEvent): Promise<AlarmRecorded> {
    const e = alarmEventSchema.parse(event);
    const now = this.now();
    const at = toMs(e.at, now);
    const windowMs = (e.flappingWindowMinutes ?? this.flapMinutes) * 60_000;
    const key = keyOf(e.service, e.kind);
    const currentId = this.current.get(key);
    const cur = currentId === undefined ? null : this.live(this.incidents.get(currentId), now);

    let result: AlarmRecorded;
    if (e.state === 'ok') {
      if (!cur || cur.state !== 'open') result = { outcome: 'ignored', incident: cur ? clone(cur) : null };
      else {
        cur.state = 'resolved';
        cur.resolvedAt = toIso(at);
        this.incidents.get(cur.id)!.expiresAt = epochSeconds(at) + this.retentionSeconds;
        result = { outcome: 'resolved', incident: clone(cur) };
      }
    } else if (cur && cur.state === 'open') {
      cur.alarmCount += 1;
      cur.lastSeen = toIso(at);
      result = { outcome: 'joined', incident: clone(cur) };
    } else if (cur && cur.resolvedAt !== null && at - Date.parse(cur.resolvedAt) <= windowMs) {
      cur.state = 'open';
      cur.resolvedAt = null;
      cur.alarmCount += 1;
      cur.reopenCount += 1;
      cur.lastSeen = toIso(at);
      this.incidents.get(cur.id)!.expiresAt = null;
      result = { outcome: 'reopened', incident: clone(cur) };
    } else {
      const incident: Incident = {
        id: newIncidentId(e.service, e.kind, at),
        service: e.service,
        kind: e.kind,
        state: 'open',
        thread: null,
        firstSeen: toIso(at),
        lastSeen: toIso(at),
        alarmCount: 1,
        reopenCount: 0,
        resolvedAt: null,
      };
      readable(incidentSchema, incident, 'an incident');
      this.incidents.set(incident.id, { value: incident, expiresAt: null });
      this.current.set(key, incident.id);
      result = { outcome: 'opened', incident: clone(incident) };
    }
    if (result.outcome !== 'ignored') await this.persist();
    return result;
  }

  async getIncident(id: string): Promise<Incident | null> {
    const i = this.live(this.incidents.get(id), this.now());
    return i ? clone(i) : null;
  }

  async currentIncident(service: string, kind: string): Promise<Incident | null> {
    const id = this.current.get(keyOf(service, kind));
    return id === undefined ? null : this.getIncident(id);
  }

  async listOpenIncidents(): Promise<Incident[]> {
    const now = this.now();
    return [...this.incidents.values()]
      .map((k) => this.live(k, now))
      .filter((i): i is Incident => i !== null && i.state === 'open')
      .sort((a, b) => a.firstSeen.localeCompare(b.firstSeen))
      .map(clone);
  }

  async setThread(incidentId: string, thread: SlackThread): Promise<SetThreadResult> {
    const t = slackThreadSchema.parse(thread);
    const i = this.live(this.incidents.get(incidentId), this.now());
    if (!i) return { ok: false, reason: 'not-found' };
    if (i.thread) return { ok: false, reason: 'already-set', incident: clone(i) };
    i.thread = { channel: t.channel, ts: t.ts };
    await this.persist();
    return { ok: true, incident: clone(i) };
  }

  // -------------------------------------------------------------------------------------------
  // Approvals

  async createApproval(request: NewApproval): Promise<Approval> {
    const r = newApprovalSchema.parse(request);
    const now = this.now();
    const id = r.id ?? newId('apr');
    if (this.live(this.approvals.get(id), now)) throw new Error(`approval ${id} already exists`);
    const approval: Approval = {
      id,
      incidentId: r.incidentId,
      service: r.service,
      subject: r.subject,
      requestedBy: r.requestedBy,
      requestedAt: toIso(now),
      expiresAt: toIso(now + r.ttlMinutes * 60_000),
      state: 'requested',
      history: [],
    };
    readable(approvalSchema, approval, 'an approval');
    this.approvals.set(id, { value: approval, expiresAt: epochSeconds(now) + this.retentionSeconds });
    await this.persist();
    return clone(approval);
  }

  async getApproval(id: string): Promise<Approval | null> {
    const a = this.live(this.approvals.get(id), this.now());
    return a ? clone(a) : null;
  }

  async transition(id: string, from: ApprovalState, to: ApprovalState, actor: string, note?: string): Promise<TransitionResult> {
    if (!isAllowedTransition(from, to)) return { ok: false, reason: 'invalid-transition' };
    const now = this.now();
    const a = this.live(this.approvals.get(id), now);
    if (!a) return { ok: false, reason: 'not-found' };
    if (a.state !== from) return { ok: false, reason: 'wrong-state', approval: clone(a) };
    if (to === 'approved' && !(now < Date.parse(a.expiresAt))) return { ok: false, reason: 'expired', approval: clone(a) };
    const step = readable(approvalStepSchema, { from, to, actor: auditText(actor, 200), at: toIso(now), note: note === undefined ? null : auditText(note, 2000) }, 'an approval step');
    a.state = to;
    a.history.push(step);
    await this.persist();
    return { ok: true, approval: clone(a) };
  }

  // -------------------------------------------------------------------------------------------
  // Audit

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    const e = auditInputSchema.parse(input);
    const at = toMs(e.at, this.now());
    const entry = readable(auditEntrySchema, auditEntryOf(e, at), 'an audit entry');
    this.audit.push({ value: entry, expiresAt: epochSeconds(at) + this.retentionSeconds });
    await this.persist();
    return clone(entry);
  }

  async listAudit(incidentId: string | null): Promise<AuditEntry[]> {
    const now = this.now();
    return this.audit
      .map((k) => this.live(k, now))
      .filter((e): e is AuditEntry => e !== null && e.incidentId === incidentId)
      .sort((a, b) => a.at.localeCompare(b.at))
      .map(clone);
  }

  // -------------------------------------------------------------------------------------------
  // Baselines

  async putDumpBaseline(baseline: DumpBaseline): Promise<boolean> {
    const b = dumpBaselineSchema.parse(baseline);
    const at = toMs(b.at, 0);
    const json = baselineJson(b.summary);
    const existing = this.baselines.get(b.service);
    if (existing && Date.parse(existing.at) >= at) return false;
    this.baselines.set(b.service, { service: b.service, at: toIso(at), summary: JSON.parse(json) });
    await this.persist();
    return true;
  }

  async getDumpBaseline(service: string): Promise<DumpBaseline | null> {
    const b = this.baselines.get(service);
    return b ? clone(b) : null;
  }

  // -------------------------------------------------------------------------------------------
  // Idempotency

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    idempotencyKeySchema.parse(key);
    ttlSecondsSchema.parse(ttlSeconds);
    const nowSec = epochSeconds(this.now());
    const exp = this.claims.get(key);
    if (exp !== undefined && exp > nowSec) return false;
    this.claims.set(key, nowSec + ttlSeconds);
    await this.persist();
    return true;
  }

  async release(key: string): Promise<void> {
    if (this.claims.delete(key)) await this.persist();
  }

  // -------------------------------------------------------------------------------------------

  /** The value, or null when absent or past its TTL (expired records are dropped on sight). */
  private live<T>(k: Kept<T> | undefined, now: number): T | null {
    if (!k) return null;
    if (k.expiresAt !== null && k.expiresAt <= epochSeconds(now)) return null;
    return k.value;
  }

  private async persist(): Promise<void> {
    const file = this.file;
    if (!file) return;
    const nowSec = epochSeconds(this.now());
    const alive = <T>(list: Iterable<Kept<T>>) => [...list].filter((k) => k.expiresAt === null || k.expiresAt > nowSec);
    const data: z.input<typeof fileSchema> = {
      version: 1,
      incidents: alive(this.incidents.values()),
      current: [...this.current].map(([k, id]) => [...splitKey(k), id] as [string, string, string]),
      approvals: alive(this.approvals.values()),
      audit: alive(this.audit),
      baselines: [...this.baselines.values()],
      claims: [...this.claims].filter(([, exp]) => exp > nowSec),
    };
    const text = JSON.stringify(data, null, 1);
    // Writes are chained so an older snapshot can never land after a newer one.
    const next = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, text, { mode: 0o600 });
        await rename(tmp, file);
      });
    this.writing = next;
    await next;
  }
}

const keyOf = (service: string, kind: string): string => `${service}\u0000${kind}`;
const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
};
