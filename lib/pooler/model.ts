// What the poolers in front of a database say: PgBouncer's admin console (pools, clients,
// servers) and RDS Proxy's CloudWatch metrics. Read-only views; nothing here holds a password.

export type PoolMode = 'session' | 'transaction' | 'statement';

export interface PgBouncerPool {
  database: string;
  user: string;
  mode: PoolMode | null;
  clientsActive: number;
  /** Clients that sent a query and wait for a server connection: the pooler's victims. */
  clientsWaiting: number;
  serversActive: number;
  serversIdle: number;
  serversUsed: number;
  /** How long the oldest waiting client has waited, seconds. */
  maxWaitSeconds: number;
}

export interface PgBouncerConnection {
  /** PgBouncer's id for the connection (`ptr`). */
  ptr: string;
  /** `ptr` of the paired connection (client ↔ server), or null. */
  link: string | null;
  user: string;
  database: string;
  state: string;
  /** Client: its address (`unix` for a socket); server: PostgreSQL's. */
  addr: string;
  port: number;
  /** Epoch ms, when PgBouncer's own clock says UTC; otherwise null. */
  connectTimeMs: number | null;
  applicationName: string;
  /** Server: the backend's pid (pg_stat_activity.pid). Client: 0 unless over a Unix socket. */
  remotePid: number;
}

export interface PgBouncerRead {
  /** `host:port` of the admin console (never its credentials). */
  target: string;
  version: string | null;
  pools: PgBouncerPool[];
  clients: PgBouncerConnection[];
  servers: PgBouncerConnection[];
  durationMs: number;
}

/** One backend seen through PgBouncer: the server connection and the client it serves now. */
export interface PoolerLink {
  pid: number;
  mode: PoolMode | null;
  /** `addr:port` of the client, or null when no client holds the server (idle in the pool). */
  client: string | null;
  clientAddress: string | null;
  application: string | null;
  /** The replica the client address belongs to, when a replica's dump source has that address. */
  replica: string | null;
}

/** The PgBouncer part of a Report. */
export interface PgBouncerSection {
  target: string;
  version: string | null;
  pools: PgBouncerPool[];
  /** Backends of the database that are PgBouncer's server connections, and how many serve a client now. */
  servers: number;
  linked: number;
  /** The service's sessions that reach the database through PgBouncer, each with its client. */
  links: PoolerLink[];
  /** Waiting clients by address (victims), most first. */
  waiting: Array<{ address: string; replica: string | null; clients: number; maxWaitSeconds: number }>;
}

export type ProxyVerdict = 'held-transactions' | 'pinning' | 'normal' | 'unknown';

/** The RDS Proxy part of a Report: its latest CloudWatch values and what they mean. */
export interface RdsProxySection {
  name: string;
  clientConnections: number | null;
  databaseConnections: number | null;
  pinned: number | null;
  inTransaction: number | null;
  maxAllowed: number | null;
  verdict: ProxyVerdict;
  /** One sentence for a person: pinning told apart from a leak. */
  sentence: string;
}

/** The pooler evidence a Report carries (absent when the catalog names no pooler). */
export interface PoolerEvidence {
  pgbouncer: PgBouncerSection | null;
  rdsProxy: RdsProxySection | null;
}
