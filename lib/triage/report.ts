// The Report: the one typed object a triage produces. The CLI prints it as text or JSON, Slack
// renders it as blocks, the store keeps it as evidence, tests assert on it. It never holds raw
// query text (only fingerprints), connection strings or secrets.
import type { Alert } from '../alerts/index.ts';
import type { Confidence, Culprit, FindingKind, WaitSpread } from '../goroutines/index.ts';
import type { PoolerEvidence } from '../pooler/index.ts';
import type { PoolSummary } from '../poolmetrics/index.ts';
import type { Capacity, Engine, SessionState, SuspectKind } from '../sessions/index.ts';

export type VerdictKind =
  | FindingKind
  /** Sessions idle in transaction with no goroutine evidence (no dumps, or debug=0/1 without labels). */
  | 'open-transactions'
  /** Sessions idle while the pool is full and no goroutine holds them: rows or conns never returned. */
  | 'idle-connections'
  | 'long-queries'
  | 'lock-contention'
  | 'no-leak-found'
  /** Not enough was read to say: the database, the dumps, or both could not be read. Never an all-clear. */
  | 'unknown'
  | 'unmapped-alert'
  | 'resolved';

export interface Verdict {
  kind: VerdictKind;
  /** One line, naming the culprit: "Transaction leak in route=/transfer (main.(*api).transfer, handlers.go:70)". */
  headline: string;
  culprit: Culprit | null;
  confidence: Confidence;
  /** What it rests on; null for verdicts that read nothing (unmapped alerts). */
  restsOn: EvidenceRead | null;
}

/** What a triage managed to read: a verdict never says more than this allows. */
export interface EvidenceRead {
  /** The database's sessions were read. */
  sessions: boolean;
  /** Replicas whose goroutine dump was read, and replicas found. */
  dumpsRead: number;
  dumpsTotal: number;
  /** What could not be read, each with its reason: "the database (connection refused)". */
  unread: string[];
}

/** How one of the service's sessions was tied to it, and whether it may be offered for termination. */
export interface SessionAttribution {
  id: number;
  /** `application_name`: it names the service; `client_address`: it names nothing and comes from a replica's address. */
  by: 'application_name' | 'client_address';
  application: string | null;
  clientAddress: string | null;
  state: SessionState;
  /** Certain enough to end: by name, or by address with that replica's own dump showing a database leak. */
  offered: boolean;
}

export interface CapacityView {
  engine: Engine | null;
  maxConnections: number | null;
  /** Slots an application role can take (max less reserved). */
  available: number | null;
  inUse: number | null;
  free: number | null;
  full: boolean;
  /** Connections gained per minute (CloudWatch trend), when known. */
  growthPerMinute: number | null;
  /** Projected minutes until the database is full; 0 when already full; null when flat or unknown. */
  minutesToExhaustion: number | null;
  /** HTTP 504s from the load balancer over the metrics window, when known. */
  elb504: number | null;
}

/** One piece of evidence behind a finding, in words a person can check. */
export interface Evidence {
  source: 'goroutines' | 'sessions' | 'metrics' | 'alert' | 'growth';
  text: string;
}

export interface ReportFinding {
  kind: VerdictKind;
  count: number;
  confidence: Confidence;
  culprit: Culprit | null;
  summary: string;
  evidence: Evidence[];
  waitMinutes: WaitSpread | null;
  /** Fingerprints of the last statements of the sessions involved, most frequent first. */
  fingerprints: string[];
  /** Database sessions this finding accounts for (pids/thread ids), for termination. */
  sessionIds: number[];
}

export interface ReplicaRow {
  replica: string;
  address: string | null;
  source: string;
  /** `ok`, or the reason the dump could not be read. */
  status: string;
  goroutines: number | null;
  leakedTransactions: number;
  leakedRows: number;
  poolWaiters: number;
  /** Database sessions from this replica's address. */
  sessions: number;
  idleInTransaction: number;
  oldestTransactionMs: number | null;
  /** Its own database/sql pool from its metrics page (in use, idle, max, waits); absent when not read. */
  pool?: PoolSummary | null;
}

export interface Gap {
  source: 'sessions' | 'dumps' | 'metrics' | 'catalog' | 'deadline' | 'pooler';
  target: string;
  reason: string;
  /** What to do about it, when we know. */
  remedy?: string;
}

export type ActionKind = 'restart' | 'terminate-sessions' | 'code-fix' | 'database-setting' | 'instrumentation' | 'investigate';

export interface Action {
  kind: ActionKind;
  text: string;
  /** terminate-sessions: the sessions the snapshot justified ending. */
  sessionIds?: number[];
}

export interface SessionSummary {
  total: number;
  ofService: number;
  idleInTransaction: number;
  idleInTransactionAborted: number;
  oldestTransactionMs: number | null;
  suspects: Array<{ kind: SuspectKind; count: number; oldestMs: number; fingerprint: string | null; app: string }>;
  /** Every session counted as the service's, and how it was tied to it. */
  attribution: SessionAttribution[];
  /** The largest other holders of sessions on the same database (top 5). */
  otherApplications: Array<{ application: string; sessions: number; idleInTransaction: number }>;
}

export interface Growth {
  afterSeconds: number;
  goroutinesBefore: number;
  goroutinesAfter: number;
  grew: Array<{ kind: FindingKind | null; delta: number; top: string }>;
}

/** The numbers a verification compares before and after a remedy (null: could not be read). */
export interface Reading {
  /** Client sessions on the database. */
  connections: number | null;
  /** Sessions idle in a transaction (aborted ones included). */
  idleInTransaction: number | null;
  /** Load-balancer 504s over the metrics window. */
  elb504: number | null;
}

export interface Report {
  id: string;
  service: string | null;
  createdAt: string;
  /** How long the triage took, and the deadline it ran under. */
  elapsedMs: number;
  deadlineMs: number;
  alert: Alert | null;
  verdict: Verdict;
  capacity: CapacityView;
  findings: ReportFinding[];
  replicas: ReplicaRow[];
  sessions: SessionSummary | null;
  growth: Growth | null;
  gaps: Gap[];
  actions: Action[];
  /** Where it was sent when no service matched. */
  channel: string | null;
  /** The "before" of a later verification. */
  reading: Reading;
  /** What PgBouncer / RDS Proxy in front of the database showed; absent when the catalog names none. */
  pooler?: PoolerEvidence | null;
}
