// What the fleet bench's parent and its children say to each other over the IPC channel.

/** Parent → session holder: open the sessions on this database. */
export interface OpenSessions {
  type: 'open-sessions';
  databaseUrl: string;
  sessions: number;
  /** Connections being opened at once: each one forks a backend and runs SCRAM on 2 cores. */
  concurrency: number;
}

/** Parent → replica fleet: serve this many replicas. */
export interface ServeReplicas {
  type: 'serve-replicas';
  replicas: number;
}

/** Parent → replica fleet: how many requests have been answered so far. */
export interface AskRequestCounts {
  type: 'ask-request-counts';
}

/** Parent → triage: run the alarm through triage, `warmups` + `runs` times. */
export interface StartTriage {
  type: 'start-triage';
  databaseUrl: string;
  replicaUrls: string[];
  dumpConcurrency: number;
  deadlineSeconds: number;
  warmups: number;
  runs: number;
}

export type ParentMessage = OpenSessions | ServeReplicas | AskRequestCounts | StartTriage;

export interface SessionsOpen {
  type: 'sessions-open';
  opened: number;
  seconds: number;
  /** Sessions opened per application_name ('' for none) and per state left behind. */
  byApplication: Record<string, number>;
  byState: Record<string, number>;
}

export interface ReplicasServing {
  type: 'replicas-serving';
  urls: string[];
  /** Which fixture each replica serves, counted. */
  dumps: Record<string, number>;
}

export interface RequestCounts {
  type: 'request-counts';
  goroutine: number;
  goroutineLeak: number;
  other: number;
  /** TCP connections accepted: with keep-alive, far fewer than requests. */
  connections: number;
}

/** One triage run: wall time from alarm parse to Report, and when each stage finished. */
export interface TriageRun {
  type: 'triage-run';
  index: number;
  warmup: boolean;
  ms: number;
  /** CPU time the triage process spent in the run (user + system): what the machine's load does not inflate. */
  cpuMs: number;
  sessionsDoneMs: number | null;
  dumpsDoneMs: number | null;
  /** Replicas whose dump this run read, and gaps it reported. */
  replicasRead: number;
  gaps: number;
}

export interface TriageDone {
  type: 'triage-done';
  headline: string;
  verdictKind: string;
  gaps: string[];
  replicasRead: number;
  replicasTotal: number;
  sessionsOnDatabase: number;
  sessionsOfService: number;
  findings: string[];
  /** process.resourceUsage().maxRSS in KiB: after imports (before any run), and the peak at the end. */
  maxRssKiBBeforeRuns: number;
  maxRssKiB: number;
  /** V8 heap in use after the last run, bytes. */
  heapUsedAfter: number;
}

export interface ChildError {
  type: 'error';
  message: string;
}

export type ChildMessage = SessionsOpen | ReplicasServing | RequestCounts | TriageRun | TriageDone | ChildError;
