// The production Store: one DynamoDB table (design in dynamo-table.ts). Every state change is a
// single conditional write, so concurrent Lambdas agree without locks: counters use ADD (no
// read-modify-write races), state machines use `#state = :from` conditions, and the losers of a
// race re-read and report what actually happened.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type NativeAttributeValue,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { documentClient, OPEN_INCIDENTS_INDEX, TTL_ATTRIBUTE } from './dynamo-table.ts';
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
  type UnreadableRecord,
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
  incidentKeyOf,
  keyPart,
  KIND_PART_MAX,
  newIncidentId,
  approvalStepSchema,
  auditEntryOf,
  auditText,
  readable,
  reportUnreadable,
  SERVICE_PART_MAX,
  slackThreadSchema,
  toIso,
  toMs,
  ttlSecondsSchema,
} from './records.ts';

type Item = Record<string, NativeAttributeValue>;

export interface DynamoStoreOptions extends StoreOptions {
  /** A DynamoDBClient (wrapped here) or an existing DocumentClient. */
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** Per-request timeout (the SDK's retries included). */
  requestTimeoutMs?: number;
}

const enc = encodeURIComponent;
/** The parts of an incident partition: the same bounded forms as in the incident's id. */
interface IncidentParts {
  service: string;
  kind: string;
}
const partsOf = (service: string, kind: string): IncidentParts => ({ service: keyPart(service, SERVICE_PART_MAX), kind: keyPart(kind, KIND_PART_MAX) });
const K = {
  incidents: (p: IncidentParts) => `INCIDENT#${p.service}#${p.kind}`,
  current: (p: IncidentParts) => ({ pk: K.incidents(p), sk: 'CURRENT' }),
  archived: (p: IncidentParts, id: string) => ({ pk: K.incidents(p), sk: `ARCHIVE#${id}` }),
  approval: (id: string) => ({ pk: `APPROVAL#${enc(id)}`, sk: 'APPROVAL' }),
  audit: (incidentId: string | null) => `AUDIT#${incidentId === null ? '-' : enc(incidentId)}`,
  baseline: (service: string) => ({ pk: `BASELINE#${enc(service)}`, sk: 'DUMP' }),
  claim: (key: string) => ({ pk: `IDEMPOTENCY#${enc(key)}`, sk: 'KEY' }),
};
const OPEN_FLAG = 'OPEN_INCIDENT';

/** Contention rounds before giving up; each round makes progress for someone. */
const MAX_ROUNDS = 50;

const INCIDENT_NAMES = {
  '#id': 'id', '#service': 'service', '#kind': 'kind', '#state': 'state', '#firstSeen': 'firstSeen', '#lastSeen': 'lastSeen',
  '#reopenCount': 'reopenCount', '#resolvedAt': 'resolvedAt', '#alarmCount': 'alarmCount', '#ttl': TTL_ATTRIBUTE,
};

export class DynamoStore implements Store {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly now: () => number;
  private readonly flapMinutes: number;
  private readonly retentionSeconds: number;
  private readonly timeoutMs: number;
  private readonly onUnreadable: (record: UnreadableRecord) => void;

  constructor(options: DynamoStoreOptions) {
    this.doc = documentClient(options.client);
    this.table = options.tableName;
    this.now = options.now ?? Date.now;
    this.flapMinutes = options.flappingWindowMinutes ?? DEFAULT_FLAPPING_WINDOW_MINUTES;
    this.retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.onUnreadable = options.onUnreadable ?? reportUnreadable;
  }

  // -------------------------------------------------------------------------------------------
  // Incidents
  //
  // The CURRENT item of (service, kind) is the incident itself, so the hot path of an alarm
  // storm (joining the open incident) is one UpdateItem with an atomic ADD. The first firing
  // creates the item by the same upsert; exactly one caller sees alarmCount 1 and "opened" it.
  // A firing long after resolution archives the old incident (same partition, ARCHIVE#<id>)
  // and replaces CURRENT with a conditional put that only one racer can win.

  async recordAlarm(event: AlarmEvent): Promise<AlarmRecorded> {
    const e = alarmEventSchema.parse(event);
    const at = toMs(e.at, this.now());
    return e.state === 'ok' ? this.resolve(e.service, e.kind, at) : this.fire(e.service, e.kind, at, (e.flappingWindowMinutes ?? this.flapMinutes) * 60_000);
  }

  private async fire(service: string, kind: string, at: number, windowMs: number): Promise<AlarmRecorded> {
    const parts = partsOf(service, kind);
    const key = K.current(parts);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const id = newIncidentId(service, kind, at);
      const fresh: Incident = {
        id, service, kind, state: 'open', thread: null, firstSeen: toIso(at), lastSeen: toIso(at), alarmCount: 1, reopenCount: 0, resolvedAt: null,
      };
      readable(incidentSchema, fresh, 'an incident');
      const joined = await this.conditional(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression:
            'SET #id = if_not_exists(#id, :id), #service = if_not_exists(#service, :service), #kind = if_not_exists(#kind, :kind), ' +
            '#state = if_not_exists(#state, :open), #firstSeen = if_not_exists(#firstSeen, :at), #lastSeen = :at, ' +
            '#reopenCount = if_not_exists(#reopenCount, :zero), #resolvedAt = if_not_exists(#resolvedAt, :null), ' +
            'gsi1pk = if_not_exists(gsi1pk, :flag), gsi1sk = if_not_exists(gsi1sk, :gsk) ADD #alarmCount :one',
          // Open incidents carry no TTL, so no expiry check is needed here.
          ConditionExpression: 'attribute_not_exists(pk) OR #state = :open',
          ExpressionAttributeNames: without(INCIDENT_NAMES, '#ttl'),
          ExpressionAttributeValues: {
            ':id': id, ':service': service, ':kind': kind, ':open': 'open', ':at': toIso(at), ':zero': 0, ':null': null,
            ':flag': OPEN_FLAG, ':gsk': `${toIso(at)}#${id}`, ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (joined) {
        const incident = toIncident(joined);
        return { outcome: incident.alarmCount === 1 ? 'opened' : 'joined', incident };
      }

      // Resolved: reopen it if it is flapping, otherwise start a new incident in its place.
      const raw = await this.getRaw(key);
      if (!raw) continue;
      const cur = toIncident(raw);
      if (cur.state === 'open') continue;
      const live = isLive(raw, epochSeconds(this.now()));
      if (live && cur.resolvedAt !== null && at - Date.parse(cur.resolvedAt) <= windowMs) {
        const reopened = await this.conditional(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression:
              'SET #state = :open, #lastSeen = :at, #resolvedAt = :null, gsi1pk = :flag, gsi1sk = :gsk ' +
              'ADD #alarmCount :one, #reopenCount :one REMOVE #ttl',
            ConditionExpression: '#id = :id AND #state = :resolved AND #resolvedAt = :seenResolvedAt',
            ExpressionAttributeNames: pick(INCIDENT_NAMES, '#id', '#state', '#lastSeen', '#resolvedAt', '#alarmCount', '#reopenCount', '#ttl'),
            ExpressionAttributeValues: {
              ':id': cur.id, ':open': 'open', ':resolved': 'resolved', ':at': toIso(at), ':null': null, ':flag': OPEN_FLAG,
              ':gsk': `${cur.firstSeen}#${cur.id}`, ':one': 1, ':seenResolvedAt': cur.resolvedAt,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (reopened) return { outcome: 'reopened', incident: toIncident(reopened) };
        continue;
      }
      // Archive first, so a lookup by the old id never misses; an expired incident is just dropped.
      if (live) {
        await this.doc.send(
          new PutCommand({ TableName: this.table, Item: { ...raw, ...K.archived(parts, cur.id), gsi1pk: undefined, gsi1sk: undefined } }),
          this.timeout(),
        );
      }
      const incident = fresh;
      const replaced = await this.conditional(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, ...fromIncident(incident), gsi1pk: OPEN_FLAG, gsi1sk: `${incident.firstSeen}#${id}` },
          ConditionExpression: '#id = :oldId AND #state = :resolved',
          ExpressionAttributeNames: pick(INCIDENT_NAMES, '#id', '#state'),
          ExpressionAttributeValues: { ':oldId': cur.id, ':resolved': 'resolved' },
        }),
      );
      if (replaced) return { outcome: 'opened', incident };
    }
    throw new Error(`recordAlarm(${service}, ${kind}): still contended after ${MAX_ROUNDS} rounds`);
  }

  private async resolve(service: string, kind: string, at: number): Promise<AlarmRecorded> {
    const resolved = await this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: K.current(partsOf(service, kind)),
        UpdateExpression: 'SET #state = :resolved, #resolvedAt = :at, #ttl = :exp REMOVE gsi1pk, gsi1sk',
        ConditionExpression: '#state = :open',
        ExpressionAttributeNames: pick(INCIDENT_NAMES, '#state', '#resolvedAt', '#ttl'),
        ExpressionAttributeValues: { ':resolved': 'resolved', ':open': 'open', ':at': toIso(at), ':exp': epochSeconds(at) + this.retentionSeconds },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (resolved) return { outcome: 'resolved', incident: toIncident(resolved) };
    return { outcome: 'ignored', incident: await this.currentIncident(service, kind) };
  }

  async getIncident(id: string): Promise<Incident | null> {
    const parts = incidentKeyOf(id);
    if (!parts) return null;
    const item = await this.get(K.current(parts));
    const cur = item ? toIncident(item) : null;
    if (cur?.id === id) return cur;
    const archived = await this.get(K.archived(parts, id));
    return archived ? toIncident(archived) : null;
  }

  async currentIncident(service: string, kind: string): Promise<Incident | null> {
    const item = await this.get(K.current(partsOf(service, kind)));
    return item ? toIncident(item) : null;
  }

  async listOpenIncidents(): Promise<Incident[]> {
    const items = await this.queryAll({
      IndexName: OPEN_INCIDENTS_INDEX,
      KeyConditionExpression: 'gsi1pk = :flag',
      ExpressionAttributeValues: { ':flag': OPEN_FLAG },
    });
    // The index is eventually consistent; the state attribute has the last word. A record the
    // reader rejects is skipped and reported: one bad item must not take /leak status down.
    return this.readEach(items, 'incident', toIncident).filter((i) => i.state === 'open');
  }

  /** Only the current incident of its key takes a thread (an archived one is `not-found`). */
  async setThread(incidentId: string, thread: SlackThread): Promise<SetThreadResult> {
    const t = slackThreadSchema.parse(thread);
    const parts = incidentKeyOf(incidentId);
    if (!parts) return { ok: false, reason: 'not-found' };
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: K.current(parts),
        UpdateExpression: 'SET threadChannel = :channel, threadTs = :ts',
        ConditionExpression: `#id = :id AND attribute_not_exists(threadTs) AND ${this.liveCondition()}`,
        ExpressionAttributeNames: pick(INCIDENT_NAMES, '#id', '#ttl'),
        ExpressionAttributeValues: { ':id': incidentId, ':channel': t.channel, ':ts': t.ts, ':nowSec': epochSeconds(this.now()) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (updated) return { ok: true, incident: toIncident(updated) };
    const existing = await this.getIncident(incidentId);
    return existing?.thread ? { ok: false, reason: 'already-set', incident: existing } : { ok: false, reason: 'not-found' };
  }

  // -------------------------------------------------------------------------------------------
  // Approvals

  async createApproval(request: NewApproval): Promise<Approval> {
    const r = newApprovalSchema.parse(request);
    const now = this.now();
    const approval: Approval = {
      id: r.id ?? newId('apr'),
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
    const ok = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { ...K.approval(approval.id), ...approval, approvableUntilMs: now + r.ttlMinutes * 60_000, [TTL_ATTRIBUTE]: epochSeconds(now) + this.retentionSeconds },
        ConditionExpression: `attribute_not_exists(pk) OR ${this.expiredCondition()}`,
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':nowSec': epochSeconds(now) },
      }),
    );
    if (!ok) throw new Error(`approval ${approval.id} already exists`);
    return approval;
  }

  async getApproval(id: string): Promise<Approval | null> {
    const item = await this.get(K.approval(id));
    return item ? toApproval(item) : null;
  }

  async transition(id: string, from: ApprovalState, to: ApprovalState, actor: string, note?: string): Promise<TransitionResult> {
    if (!isAllowedTransition(from, to)) return { ok: false, reason: 'invalid-transition' };
    const now = this.now();
    const step = readable(approvalStepSchema, { from, to, actor: auditText(actor, 200), at: toIso(now), note: note === undefined ? null : auditText(note, 2000) }, 'an approval step');
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: K.approval(id),
        UpdateExpression: 'SET #state = :to, #history = list_append(#history, :step)',
        ConditionExpression:
          `attribute_exists(pk) AND #state = :from AND ${this.liveCondition()}` + (to === 'approved' ? ' AND approvableUntilMs > :nowMs' : ''),
        ExpressionAttributeNames: { '#state': 'state', '#history': 'history', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':to': to, ':from': from, ':step': [step], ':nowSec': epochSeconds(now),
          ...(to === 'approved' ? { ':nowMs': now } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (updated) return { ok: true, approval: toApproval(updated) };
    const current = await this.getApproval(id);
    if (!current) return { ok: false, reason: 'not-found' };
    if (current.state !== from) return { ok: false, reason: 'wrong-state', approval: current };
    return { ok: false, reason: 'expired', approval: current };
  }

  // -------------------------------------------------------------------------------------------
  // Audit

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    const e = auditInputSchema.parse(input);
    const at = toMs(e.at, this.now());
    const entry = readable(auditEntrySchema, auditEntryOf(e, at), 'an audit entry');
    const ok = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { pk: K.audit(entry.incidentId), sk: `${entry.at}#${entry.id}`, ...entry, [TTL_ATTRIBUTE]: epochSeconds(at) + this.retentionSeconds },
        // Append-only: an entry is never overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (!ok) throw new Error(`audit entry ${entry.id} collided`);
    return entry;
  }

  async listAudit(incidentId: string | null): Promise<AuditEntry[]> {
    const nowSec = epochSeconds(this.now());
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': K.audit(incidentId) },
      ConsistentRead: true,
    });
    return this.readEach(items.filter((i) => isLive(i, nowSec)), 'audit entry', (i) => auditEntrySchema.parse(i));
  }

  // -------------------------------------------------------------------------------------------
  // Baselines

  async putDumpBaseline(baseline: DumpBaseline): Promise<boolean> {
    const b = dumpBaselineSchema.parse(baseline);
    const atMs = toMs(b.at, 0);
    return this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { ...K.baseline(b.service), service: b.service, at: toIso(atMs), atMs, summaryJson: baselineJson(b.summary) },
        // An out-of-order worker must not replace a newer baseline with an older one.
        ConditionExpression: 'attribute_not_exists(pk) OR atMs < :atMs',
        ExpressionAttributeValues: { ':atMs': atMs },
      }),
    ).then(Boolean);
  }

  async getDumpBaseline(service: string): Promise<DumpBaseline | null> {
    const item = await this.get(K.baseline(service));
    if (!item) return null;
    const row = z.object({ service: z.string(), at: z.string(), summaryJson: z.string() }).parse(item);
    return { service: row.service, at: row.at, summary: JSON.parse(row.summaryJson) as unknown };
  }

  // -------------------------------------------------------------------------------------------
  // Idempotency

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    idempotencyKeySchema.parse(key);
    ttlSecondsSchema.parse(ttlSeconds);
    const nowSec = epochSeconds(this.now());
    return this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { ...K.claim(key), [TTL_ATTRIBUTE]: nowSec + ttlSeconds },
        ConditionExpression: `attribute_not_exists(pk) OR ${this.expiredCondition()}`,
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':nowSec': nowSec },
      }),
    ).then(Boolean);
  }

  async release(key: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: K.claim(key) }), this.timeout());
  }

  // -------------------------------------------------------------------------------------------

  /** Each item read by `read`; one that fails is reported and left out. */
  private readEach<T>(items: Item[], kind: UnreadableRecord['kind'], read: (item: Item) => T): T[] {
    return items.flatMap((item) => {
      try {
        return [read(item)];
      } catch (err) {
        this.onUnreadable({ kind, key: `${String(item.pk)} ${String(item.sk)}`, reason: err instanceof z.ZodError ? (err.issues[0] ? `${err.issues[0].path.join('.')}: ${err.issues[0].message}` : 'invalid') : String(err) });
        return [];
      }
    });
  }

  /** The item has no TTL or it is still in the future (needs `#ttl` and `:nowSec`). */
  private liveCondition(): string {
    return '(attribute_not_exists(#ttl) OR #ttl > :nowSec)';
  }

  /** The item is past its TTL (DynamoDB rejects `NOT (…)` with redundant parentheses). */
  private expiredCondition(): string {
    return '#ttl <= :nowSec';
  }

  /** The item if it exists and is not past its TTL. */
  private async get(key: { pk: string; sk: string }): Promise<Item | null> {
    const item = await this.getRaw(key);
    return item && isLive(item, epochSeconds(this.now())) ? item : null;
  }

  /** The item even if past its TTL (DynamoDB may not have deleted it yet). */
  private async getRaw(key: { pk: string; sk: string }): Promise<Item | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }), this.timeout());
    return (out.Item as Item | undefined) ?? null;
  }

  private async queryAll(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, NativeAttributeValue> | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({ ...input, TableName: this.table, ExclusiveStartKey: start }), this.timeout());
      items.push(...((out.Items ?? []) as Item[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Runs a conditional write: its new attributes (or true), or null when the condition failed. */
  private async conditional(command: PutCommand | UpdateCommand): Promise<Item | true | null> {
    try {
      const out = command instanceof PutCommand ? await this.doc.send(command, this.timeout()) : await this.doc.send(command, this.timeout());
      return out.Attributes ? (out.Attributes as Item) : true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return null;
      throw err;
    }
  }

  private timeout(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.timeoutMs) };
  }
}

function isLive(item: Item, nowSec: number): boolean {
  const exp = item[TTL_ATTRIBUTE];
  return typeof exp !== 'number' || exp > nowSec;
}

function toIncident(item: Item | true): Incident {
  if (item === true) throw new Error('expected the updated item');
  const thread = typeof item.threadTs === 'string' ? { channel: String(item.threadChannel), ts: item.threadTs } : null;
  return incidentSchema.parse({ ...item, thread, resolvedAt: item.resolvedAt ?? null });
}

function fromIncident(i: Incident): Item {
  const { thread, ...rest } = i;
  return thread ? { ...rest, threadChannel: thread.channel, threadTs: thread.ts } : rest;
}

function pick<T extends Record<string, string>>(names: T, ...keys: Array<keyof T & string>): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, names[k]!]));
}

function without<T extends Record<string, string>>(names: T, ...keys: Array<keyof T & string>): Record<string, string> {
  return Object.fromEntries(Object.entries(names).filter(([k]) => !keys.includes(k as keyof T & string)));
}

function toApproval(item: Item | true): Approval {
  if (item === true) throw new Error('expected the updated item');
  return approvalSchema.parse(item);
}

/** A DynamoStore on a fresh client; `endpoint` for dynalite/DynamoDB Local. */
export function createDynamoStore(opts: { tableName: string; region?: string; endpoint?: string } & StoreOptions & { requestTimeoutMs?: number }): DynamoStore {
  const client = new DynamoDBClient({ region: opts.region, endpoint: opts.endpoint, maxAttempts: 3 });
  return new DynamoStore({ ...opts, client });
}
