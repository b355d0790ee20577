// The shapes a database session snapshot is made of. Triage, the CLI and Slack read these;
// nothing in here ever carries raw query text (only fingerprints) or a password.
import type { SqlCommentTags } from './sql-comment.ts';

export type Engine = 'postgres' | 'mysql' | 'mariadb';

/**
 * Normalised session state. PostgreSQL states map one to one; MySQL `Sleep` becomes `idle`, or
 * `idle_in_transaction` when the thread has a row in INNODB_TRX. `hidden` means the server did
 * not show us the state (missing pg_monitor / PROCESS).
 */
export type SessionState =
  | 'active'
  | 'idle'
  | 'idle_in_transaction'
  | 'idle_in_transaction_aborted'
  | 'fastpath'
  | 'disabled'
  | 'other'
  | 'hidden';

export interface Session {
  /** PostgreSQL backend pid or MySQL thread (connection) id. */
  id: number;
  /**
   * PostgreSQL backend_start, ISO-8601 UTC with microseconds: with `id` it identifies the
   * connection even if the pid is later reused. Null on MySQL (thread ids are not reused).
   */
  backendStart: string | null;
  user: string | null;
  database: string | null;
  /** application_name (PostgreSQL). MySQL has none in its processlist: null. */
  application: string | null;
  /** Client IP, `local` for a Unix socket, null when hidden. */
  clientAddress: string | null;
  clientPort: number | null;
  state: SessionState;
  /** Age of the open transaction, null when none. */
  transactionAgeMs: number | null;
  /** Time since the state last changed (for `idle`: how long it has been idle). */
  stateAgeMs: number | null;
  /** Time since the current or last statement started. */
  queryAgeMs: number | null;
  connectionAgeMs: number | null;
  waitEventType: string | null;
  waitEvent: string | null;
  /** Sessions this one waits for (lock waits only). */
  blockedBy: number[];
  /** Normalised last statement: literals replaced by `?`. Null when hidden or empty. */
  fingerprint: string | null;
  /** What the last statement's sqlcommenter comment names (route, action, controller), if any. */
  sqlComment?: SqlCommentTags | null;
  /** MySQL: INNODB_TRX.trx_started as reported (identifies the transaction for termination). */
  transactionStarted: string | null;
  /** False when privileges hid this session's details (state, query, ages). */
  visible: boolean;
}

export interface Capacity {
  /** The server's max_connections. */
  maxConnections: number;
  /**
   * PostgreSQL superuser_reserved_connections (inside max_connections). MySQL/MariaDB: the one
   * extra connection the server admits beyond max_connections for CONNECTION_ADMIN/SUPER.
   */
  reservedForSuperusers: number;
  /**
   * PostgreSQL 16+ reserved_connections (for pg_use_reserved_connections), plus Amazon RDS's
   * rds.rds_superuser_reserved_connections where set; null when neither exists, and on MySQL.
   */
  reservedForRoles: number | null;
  /** Slots an ordinary application role can take. */
  availableToApplications: number;
  /** Client sessions held by others (the snapshot's own connection is not counted). */
  inUse: number;
  /** availableToApplications - inUse, never below 0. */
  free: number;
  /** True when ordinary roles cannot open another connection. */
  full: boolean;
}

export type GroupDimension = 'application' | 'client' | 'state' | 'fingerprint';

export interface SessionGroup {
  dimension: GroupDimension;
  /** The application, client address, state or fingerprint; `(none)` when empty. */
  key: string;
  count: number;
  byState: Partial<Record<SessionState, number>>;
  oldestTransactionMs: number | null;
  oldestStateMs: number | null;
  oldestConnectionMs: number | null;
}

export interface SessionGroups {
  byApplication: SessionGroup[];
  byClient: SessionGroup[];
  byState: SessionGroup[];
  byFingerprint: SessionGroup[];
}

export type SuspectKind =
  /** A transaction left open: idle in transaction (also aborted), MySQL Sleep with an INNODB_TRX row. */
  | 'open_transaction'
  /** Idle for long while its application's pool is full: rows or connections never returned. */
  | 'idle_in_full_pool'
  | 'long_query'
  | 'lock_waiter'
  | 'lock_blocker';

export interface Suspect {
  kind: SuspectKind;
  sessionId: number;
  /** The application name, or `user@address` when the engine has no application name. */
  app: string;
  /** The age that made it suspect: transaction age, idle time, query time or wait time. */
  ageMs: number;
  /** One sentence, for a person. */
  reason: string;
  fingerprint: string | null;
  /** idle_in_transaction_aborted: the transaction failed and was never rolled back. */
  aborted?: boolean;
  /** lock_waiter: who it waits for. */
  blockedBy?: number[];
  /** lock_blocker: who waits for it. */
  blocks?: number[];
}

export type ProblemKind =
  /** The server refused us because every ordinary slot is taken. */
  | 'database_full'
  /** A per-role or per-database CONNECTION LIMIT (or MySQL max_user_connections) was hit. */
  | 'connection_limit'
  | 'auth_failed'
  | 'database_not_found'
  | 'unreachable'
  | 'timeout'
  /** Starting up, shutting down, in recovery: try again. */
  | 'unavailable'
  /** Connected, but privileges hide other users' sessions or their queries. */
  | 'insufficient_privilege'
  | 'invalid_target'
  | 'query_failed';

export interface SnapshotProblem {
  kind: ProblemKind;
  /** SQLSTATE, MySQL error name/number or Node error code, when there is one. */
  code: string | null;
  /** What happened, precisely, without secrets. */
  message: string;
  /** What to do about it (grants live in infra/grants/). */
  remedy: string;
  /** True when no session data could be read at all. */
  fatal: boolean;
}

export interface Snapshot {
  engine: Engine;
  /** The database URL with the password redacted. */
  target: string;
  /** When the snapshot started (ISO). */
  takenAt: string;
  durationMs: number;
  /** Server version string, when we got that far. */
  serverVersion: string | null;
  /** Null when we could not read it (e.g. refused because the database is full). */
  capacity: Capacity | null;
  sessions: Session[];
  groups: SessionGroups;
  suspects: Suspect[];
  problems: SnapshotProblem[];
  /** The thresholds the suspects were classified with. */
  thresholds: Thresholds;
}

export interface Thresholds {
  /** Open transactions and idle sessions become suspects from this age. */
  minAgeMs: number;
  /** Active statements become suspects from this age. */
  longQueryMs: number;
  /** Lock waits become suspects from this age. */
  lockWaitMs: number;
}
