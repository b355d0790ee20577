// What Leakhound remembers between invocations: incidents, approvals, the audit log, dump
// baselines and idempotency keys. `Store` is the persistence-layer interface (the shape of AWS
// Powertools' idempotency layers): DynamoStore in production, MemoryStore locally; both pass
// the same test suite, so callers never care which one they hold.
import type { RestartTarget } from '../catalog/index.ts';
import type { TerminationTarget } from '../sessions/index.ts';

// ---------------------------------------------------------------------------------------------
// Incidents

export type IncidentState = 'open' | 'resolved';

export interface SlackThread {
  channel: string;
  /** `ts` of the top-level message; replies go to this thread. */
  ts: string;
}

export interface Incident {
  id: string;
  service: string;
  /** What the alarm watches (e.g. `db-connections-high`); with `service`, the incident's key. */
  kind: string;
  state: IncidentState;
  /** Set once, by whoever posted the top-level message. */
  thread: SlackThread | null;
  /** ISO 8601 UTC. */
  firstSeen: string;
  lastSeen: string;
  /** Firing notifications received, across reopenings. */
  alarmCount: number;
  /** Times it came back after an OK within the flapping window. */
  reopenCount: number;
  resolvedAt: string | null;
}

export interface AlarmEvent {
  service: string;
  kind: string;
  /** `alarm` = firing; `ok` = back to normal. INSUFFICIENT_DATA is neither: do not record it. */
  state: 'alarm' | 'ok';
  /** When the state changed (the alarm's own time); default now. */
  at?: Date | string | number;
  /** A firing within this long after resolution reopens the same incident; store default otherwise. */
  flappingWindowMinutes?: number;
}

/**
 * What `recordAlarm` did, so the caller knows what to say:
 * `opened` (post a new top message — exactly one caller sees it per incident), `joined` (update
 * the count), `reopened` (update the top message, note it in the thread), `resolved` (update),
 * `ignored` (an OK with no open incident: nothing to do).
 */
export type AlarmOutcome = 'opened' | 'joined' | 'reopened' | 'resolved' | 'ignored';

export interface AlarmRecorded {
  outcome: AlarmOutcome;
  /** The incident after the change; null only for `ignored` when none ever existed. */
  incident: Incident | null;
}

export type SetThreadResult = { ok: true; incident: Incident } | { ok: false; reason: 'not-found' } | { ok: false; reason: 'already-set'; incident: Incident };

// ---------------------------------------------------------------------------------------------
// Approvals

/**
 * requested → approved | denied | expired; approved → executing; executing → done | failed.
 * Only `transition` moves a request along, and only from the state the caller saw.
 */
export type ApprovalState = 'requested' | 'approved' | 'denied' | 'expired' | 'executing' | 'done' | 'failed';

export const APPROVAL_TRANSITIONS: Readonly<Record<ApprovalState, readonly ApprovalState[]>> = {
  requested: ['approved', 'denied', 'expired'],
  approved: ['executing'],
  denied: [],
  expired: [],
  executing: ['done', 'failed'],
  done: [],
  failed: [],
};

/** What the humans are asked to approve. It is what runs: never re-read from the catalog. */
export type ApprovalSubject =
  | { action: 'restart'; target: RestartTarget }
  | { action: 'terminate'; database: string; sessions: TerminationTarget[] };

export interface ApprovalStep {
  from: ApprovalState;
  to: ApprovalState;
  actor: string;
  at: string;
  note: string | null;
}

export interface Approval {
  id: string;
  incidentId: string | null;
  service: string;
  subject: ApprovalSubject;
  requestedBy: string;
  requestedAt: string;
  /** The request may be approved only before this instant. */
  expiresAt: string;
  state: ApprovalState;
  /** Every transition, oldest first. */
  history: ApprovalStep[];
}

export interface NewApproval {
  /** Default: a fresh random id. */
  id?: string;
  incidentId: string | null;
  service: string;
  subject: ApprovalSubject;
  requestedBy: string;
  /** How long the request stays approvable (the catalog's approvalTtlMinutes). */
  ttlMinutes: number;
}

export type TransitionResult =
  | { ok: true; approval: Approval }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'invalid-transition' }
  /** Someone else moved it first (or it was never in `from`): `approval` is how it is now. */
  | { ok: false; reason: 'wrong-state'; approval: Approval }
  /** `requested → approved` after the request's expiry. */
  | { ok: false; reason: 'expired'; approval: Approval };

// ---------------------------------------------------------------------------------------------
// Audit, baselines, idempotency

export interface AuditInput {
  /** Slack user id, or `leakhound` for the bot's own steps. */
  actor: string;
  /** e.g. `restart.requested`, `restart.approved`, `restart.executed`, `sessions.terminated`. */
  action: string;
  /** Human-readable target: `deployment prod/billing-api`, `3 sessions on orders-db`. */
  target: string;
  incidentId: string | null;
  /** e.g. `ok`, `refused: self-approval`, `failed: 403 forbidden`. */
  result: string;
  /** Default now. */
  at?: Date | string | number;
}

export interface AuditEntry extends Required<Omit<AuditInput, 'at'>> {
  id: string;
  at: string;
}

export interface DumpBaseline {
  service: string;
  /** When the summarised dump was taken (ISO 8601). */
  at: string;
  /** Opaque, JSON-serialisable summary owned by the caller. */
  summary: unknown;
}

// ---------------------------------------------------------------------------------------------

export interface Store {
  /** Opens, joins, resolves or reopens the incident for (service, kind). Safe under concurrency. */
  recordAlarm(event: AlarmEvent): Promise<AlarmRecorded>;
  getIncident(id: string): Promise<Incident | null>;
  /** The latest incident for (service, kind), open or resolved. */
  currentIncident(service: string, kind: string): Promise<Incident | null>;
  listOpenIncidents(): Promise<Incident[]>;
  /** Records the top-level Slack message; succeeds once per incident. */
  setThread(incidentId: string, thread: SlackThread): Promise<SetThreadResult>;

  createApproval(request: NewApproval): Promise<Approval>;
  getApproval(id: string): Promise<Approval | null>;
  /** Moves `from → to` only if the approval is in `from` now; concurrent callers: one wins. */
  transition(id: string, from: ApprovalState, to: ApprovalState, actor: string, note?: string): Promise<TransitionResult>;

  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  /** Oldest first. `null` lists entries recorded without an incident. */
  listAudit(incidentId: string | null): Promise<AuditEntry[]>;

  /** Keeps the newest baseline: returns false (and stores nothing) when a newer one is there. */
  putDumpBaseline(baseline: DumpBaseline): Promise<boolean>;
  getDumpBaseline(service: string): Promise<DumpBaseline | null>;

  /** True for the first caller per key until `ttlSeconds` pass (dedupe of retries/redeliveries). */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** Gives a claimed key back (the work failed and a retry should be allowed to run it). */
  release(key: string): Promise<void>;
}

/** A stored record the reader could not parse (written by an older version): skipped by listings and reported. */
export interface UnreadableRecord {
  kind: 'incident' | 'audit entry';
  key: string;
  reason: string;
}

export interface StoreOptions {
  /** Clock in epoch ms; tests move it to exercise TTLs and expiry. */
  now?: () => number;
  /** Where unreadable records are reported; default a JSON warning line on stderr. */
  onUnreadable?: (record: UnreadableRecord) => void;
  /** Default flapping window (minutes) for `recordAlarm`. */
  flappingWindowMinutes?: number;
  /** Resolved incidents, finished approvals and audit entries are kept this long. */
  retentionDays?: number;
}

export const DEFAULT_FLAPPING_WINDOW_MINUTES = 30;
export const DEFAULT_RETENTION_DAYS = 400;
