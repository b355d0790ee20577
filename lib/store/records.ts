// Validation of everything the store reads back (DynamoDB items, the local JSON file) and of the
// inputs it is given, plus the small helpers both implementations share.
import { createHash, randomBytes } from 'node:crypto';
import { restartTargetSchema } from '../catalog/index.ts';
import { redact } from '../redact/index.ts';
import { z } from 'zod';
import type { Approval, ApprovalState, AuditEntry, DumpBaseline, Incident, UnreadableRecord } from './model.ts';
import { APPROVAL_TRANSITIONS } from './model.ts';

const iso = z.string().min(1).max(40);
/** Service, kind, actor…: printable, bounded, and safe inside a composite key. */
const label = z.string().min(1).max(200);

export const slackThreadSchema = z.object({ channel: z.string().min(1).max(80), ts: z.string().min(1).max(40) });

export const incidentSchema = z.object({
  id: label,
  service: label,
  kind: label,
  state: z.enum(['open', 'resolved']),
  thread: slackThreadSchema.nullable(),
  firstSeen: iso,
  lastSeen: iso,
  alarmCount: z.number().int().min(0),
  reopenCount: z.number().int().min(0),
  resolvedAt: iso.nullable(),
}) satisfies z.ZodType<Incident>;

const approvalStateSchema = z.enum(['requested', 'approved', 'denied', 'expired', 'executing', 'done', 'failed']);

const terminationTargetSchema = z.object({
  id: z.number().int().positive(),
  backendStart: z.string().max(40).nullable(),
  transactionStarted: z.string().max(40).nullable(),
  expect: z.enum(['idle_in_transaction', 'idle']),
  minIdleMs: z.number().min(0),
});

export const approvalSubjectSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('restart'), target: restartTargetSchema }),
  z.object({ action: z.literal('terminate'), database: z.string().min(1).max(200), sessions: z.array(terminationTargetSchema).max(10_000) }),
]);

export const approvalStepSchema = z.object({ from: approvalStateSchema, to: approvalStateSchema, actor: label, at: iso, note: z.string().max(2000).nullable() });

export const approvalSchema = z.object({
  id: label,
  incidentId: label.nullable(),
  service: label,
  subject: approvalSubjectSchema,
  requestedBy: label,
  requestedAt: iso,
  expiresAt: iso,
  state: approvalStateSchema,
  history: z.array(approvalStepSchema),
}) satisfies z.ZodType<Approval>;

export const newApprovalSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/).optional(),
  incidentId: label.nullable(),
  service: label,
  subject: approvalSubjectSchema,
  requestedBy: label,
  ttlMinutes: z.number().positive().max(7 * 24 * 60),
});

/** Audit input: texts of any length (a command's argv, an error): the store redacts and clips them. */
export const auditInputSchema = z.object({
  actor: label,
  action: label,
  target: z.string(),
  incidentId: label.nullable(),
  result: z.string(),
  at: z.union([z.date(), z.string(), z.number()]).optional(),
});

export const auditEntrySchema = z.object({
  id: label,
  actor: label,
  action: label,
  target: z.string().max(1000),
  incidentId: label.nullable(),
  result: z.string().max(2000),
  at: iso,
}) satisfies z.ZodType<AuditEntry>;

export const dumpBaselineSchema = z.object({ service: label, at: iso, summary: z.unknown() }) satisfies z.ZodType<DumpBaseline>;

export const alarmEventSchema = z.object({
  service: label,
  kind: label,
  state: z.enum(['alarm', 'ok']),
  at: z.union([z.date(), z.string(), z.number()]).optional(),
  flappingWindowMinutes: z.number().min(0).max(7 * 24 * 60).optional(),
});

export const idempotencyKeySchema = z.string().min(1).max(512);
export const ttlSecondsSchema = z.number().int().positive().max(366 * 24 * 3600);

/** Epoch ms from whatever time a caller passes; invalid input is a caller bug. */
export function toMs(at: Date | string | number | undefined, now: number): number {
  if (at === undefined) return now;
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new TypeError(`invalid time: ${String(at)}`);
  return ms;
}

export const toIso = (ms: number): string => new Date(ms).toISOString();

/** DynamoDB TTL is whole epoch seconds; both stores compare expiry at that granularity. */
export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Lone UTF-16 surrogates (a name cut in the middle of a pair) as U+FFFD: they cannot be encoded. */
export function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Longest service and kind parts of an incident id (and of its DynamoDB key): ids stay within 128. */
export const SERVICE_PART_MAX = 64;
export const KIND_PART_MAX = 40;

/**
 * A name as it appears in an incident id and a store key: every character outside
 * [A-Za-z0-9._-] percent-encoded (UTF-8), and at most `max` characters: a longer one keeps its
 * start and ends in `%-` and 16 hex digits of the SHA-256 of the whole, a form percent-encoding
 * never produces, so no short name can pose as a long one.
 */
export function keyPart(name: string, max: number): string {
  const enc = encodeURIComponent(wellFormed(name)).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (enc.length <= max) return enc;
  let head = enc.slice(0, max - 18);
  const pct = head.lastIndexOf('%');
  if (pct !== -1 && pct > head.length - 3) head = head.slice(0, pct);
  return `${head}%-${createHash('sha256').update(enc).digest('hex').slice(0, 16)}`;
}

/**
 * `<service>:<kind>:<yyyymmdd-hhmmss>-<hex>`, e.g. `billing-api:db-connections-high:20250501-120304-9f2c1a`.
 * Readable, unique, at most 128 characters whatever the names, and it names its own (service,
 * kind) key, so a lookup by id needs no index.
 */
export function newIncidentId(service: string, kind: string, ms: number): string {
  const stamp = toIso(ms).replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${keyPart(service, SERVICE_PART_MAX)}:${keyPart(kind, KIND_PART_MAX)}:${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The key parts (as `keyPart` made them) an incident id was minted for, or null for anything else. */
export function incidentKeyOf(id: string): { service: string; kind: string } | null {
  const parts = id.split(':');
  if (parts.length !== 3 || !parts[0] || !parts[1]) return null;
  if (!/^[A-Za-z0-9._%-]+$/.test(parts[0]) || !/^[A-Za-z0-9._%-]+$/.test(parts[1])) return null;
  return { service: parts[0], kind: parts[1] };
}

/** What the store writes is what its reader accepts: anything else is refused before the write. */
export function readable<T>(schema: z.ZodType<T>, value: T, what: string): T {
  const checked = schema.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new RangeError(`refused to store ${what} its reader would reject: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return checked.data;
}

export const reportUnreadable = (r: UnreadableRecord): void =>
  console.warn(JSON.stringify({ level: 'warn', component: 'store', msg: 'unreadable record skipped', kind: r.kind, key: redact(r.key).slice(0, 300), reason: redact(r.reason).slice(0, 300) }));

/** An audit entry as stored: every text redacted and within the reader's limits. */
export function auditEntryOf(e: z.output<typeof auditInputSchema>, atMs: number): AuditEntry {
  return {
    id: newId('aud'),
    actor: auditText(e.actor, 200),
    action: auditText(e.action, 200),
    target: auditText(e.target, 1000),
    incidentId: e.incidentId,
    result: auditText(e.result, 2000),
    at: toIso(atMs),
  };
}

/** Audit text and approval notes are outputs like any other: redacted, then clipped to what the reader takes. */
export function auditText(text: string, max: number): string {
  return wellFormed(redact(text).slice(0, max));
}

export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

export function isAllowedTransition(from: ApprovalState, to: ApprovalState): boolean {
  return APPROVAL_TRANSITIONS[from].includes(to);
}

/** Baseline summaries are stored as JSON text; bounded so one item stays far below 400 KB. */
export const MAX_BASELINE_JSON_BYTES = 300 * 1024;

export function baselineJson(summary: unknown): string {
  const json = JSON.stringify(summary);
  if (json === undefined) throw new TypeError('dump baseline summary must be JSON-serialisable');
  if (Buffer.byteLength(json) > MAX_BASELINE_JSON_BYTES) {
    throw new RangeError(`dump baseline summary is ${Buffer.byteLength(json)} bytes; the limit is ${MAX_BASELINE_JSON_BYTES}`);
  }
  return json;
}
