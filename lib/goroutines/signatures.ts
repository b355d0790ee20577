// The table of leak signatures: which stacks mean what, and everything the rest of the bot
// needs to know about each kind (its title, lead frame, role, rank in a report, fix text and
// the actions it calls for). Adding a kind is adding it to FindingKind (model.ts) and a row
// here; the compiler rejects a kind without a row and a row missing a field.
//
// A `leak` row matches the goroutine that holds the leaked resource (its culprit is whoever
// opened it: labels, ancestry, creator). A `victim` row matches goroutines waiting because of a
// leak elsewhere (its culprit is the application code that is starving). Stacks that match no
// row (connectionOpener, connectionCleaner, idle keep-alive readers, servers' accept loops) are
// benign and never reported.
import { canonicalFunction, packageOf } from './functions.ts';
import type { FindingKind, StackGroup } from './model.ts';

/** What a kind of finding calls for in the report's recommended actions. */
export interface KindActions {
  /** Restarting the service frees what it holds (not so for callers merely waiting on a pool). */
  restart: boolean;
  /** Recommend the row's `fix` in the code. */
  codeFix: boolean;
  /** The database sessions behind it are the leak, and may be ended (the Terminate button). */
  terminateSessions: boolean;
  /** Recommend the server-side idle-transaction timeout. */
  capIdleTransactions: boolean;
}

/** What triage, the report and the CLI know about a kind, goroutine-side or database-side. */
export interface KindTraits {
  /** What a person calls it: "Transaction leak". */
  title: string;
  /** Order in a report, lowest first: the likeliest cause leads. */
  rank: number;
  /** Callers waiting for a pool connection: victims, whose cause is held elsewhere. */
  poolWait: boolean;
  /** A leak of database connections: a replica whose dump shows it may own the unnamed sessions from its address. */
  databaseLeak: boolean;
  actions: KindActions;
}

export interface Signature extends KindTraits {
  kind: FindingKind;
  role: 'leak' | 'victim';
  /** The frame that shows it, for evidence lines: "database/sql.(*Tx).awaitDone". */
  lead: string;
  /** Where the resource is held or awaited, for the summary. */
  what: { one: string; many: string; verb: string };
  /** The remedy in code, for the report's recommended actions. */
  fix: string;
  matches(group: StackGroup): boolean;
}

// Rules match canonical names (no vendoring prefix, no /vN, no type arguments), so vendored
// copies and every major version of a library read the same.
const canon = (g: StackGroup, i: number): string => {
  const f = g.frames[i];
  return f ? canonicalFunction(f.function) : '';
};
const top = (g: StackGroup): string => canon(g, 0);
const someFrame = (g: StackGroup, test: (fn: string) => boolean, depth = g.frames.length): boolean => {
  const n = Math.min(depth, g.frames.length);
  for (let i = 0; i < n; i++) if (test(canon(g, i))) return true;
  return false;
};

// States of a goroutine that is doing something, not waiting: a goroutine crashing inside
// (*DB).conn (a nil *sql.DB) is not a caller waiting for a connection.
const ACTIVE_STATES = new Set(['running', 'runnable', 'syscall', 'dead', 'idle', 'copystack', 'preempted']);
const parked = (g: StackGroup): boolean => Object.keys(g.states).some((s) => !ACTIVE_STATES.has(s.split(/[ ,]/)[0]!));

// Frames a goroutine sits in while it waits for something else: synchronisation primitives.
const WAIT_PACKAGES = new Set(['sync', 'sync/atomic', 'internal/sync', 'golang.org/x/sync/semaphore', 'context', 'time']);
// pgxpool (v4, v5) and puddle (v1 parks in sync.(*Cond).Wait, v2 in a semaphore) acquiring a connection.
const POOL_ACQUIRE = /^github\.com\/jackc\/(pgx\/pgxpool\.\(\*Pool\)\.Acquire|puddle\.\(\*Pool\)\.(Acquire|acquire))/;

/** Parked in a pool's Acquire: nothing but wait primitives above the Acquire frame. */
function waitsInPoolAcquire(g: StackGroup): boolean {
  for (let i = 0; i < g.frames.length && i < 12; i++) {
    const fn = canon(g, i);
    if (POOL_ACQUIRE.test(fn)) return true;
    if (!WAIT_PACKAGES.has(packageOf(fn)) && !fn.startsWith('github.com/jackc/puddle')) return false;
  }
  return false;
}

// Driver frames that read a query's reply from the network, oldest drivers included: lib/pq,
// go-sql-driver/mysql, pgx v2/v3 (rxMsg), pgconn (pgx v4 module and pgx v5 package).
const DRIVER_READ =
  /^(github\.com\/lib\/pq\.\(\*conn\)\.(recv|recv1|recv1Buf|recvMessage)$|github\.com\/go-sql-driver\/mysql\.\(\*(mysqlConn|buffer)\)\.(readPacket|fill|readNext)$|github\.com\/jackc\/(pgx\/)?pgconn\.\(\*PgConn\)\.(receiveMessage|peekMessage)$|github\.com\/jackc\/pgx\.\(\*Conn\)\.(rxMsg|readUntilReadyForQuery)$)/;
// A connection that waits for the server by design (LISTEN/NOTIFY, replication) is not stuck.
const LISTENER = /^github\.com\/(lib\/pq\.\(\*ListenerConn\)|jackc\/(pgx\/)?(pgconn\.\(\*PgConn\)|pgx\.\(\*Conn\))\.WaitForNotification|jackc\/pglogrepl)/;
const QUERY_CALLER = (fn: string): boolean => fn.startsWith('database/sql.') || fn.startsWith('github.com/jackc/pgx');

// First match wins, in this order (a goroutine the runtime proved leaked but that parks in
// (*Tx).awaitDone is a transaction leak).
const ROWS = {
  'tx-leak': {
    role: 'leak',
    title: 'Transaction leak',
    lead: 'database/sql.(*Tx).awaitDone',
    what: { one: 'transaction', many: 'transactions', verb: 'never committed or rolled back' },
    rank: 1,
    poolWait: false,
    databaseLeak: true,
    actions: { restart: true, codeFix: true, terminateSessions: true, capIdleTransactions: true },
    fix: 'end every transaction on every path: `defer tx.Rollback()` right after BeginTx (a no-op after Commit)',
    // Parked in awaitDone itself. One already in (*Tx).rollback had its context fire: it is
    // ending, not leaked.
    matches: (g) => top(g) === 'database/sql.(*Tx).awaitDone',
  },
  'rows-leak': {
    role: 'leak',
    title: 'Rows leak',
    lead: 'database/sql.(*Rows).awaitDone',
    what: { one: 'result set', many: 'result sets', verb: 'never closed' },
    rank: 2,
    poolWait: false,
    databaseLeak: true,
    actions: { restart: true, codeFix: true, terminateSessions: true, capIdleTransactions: false },
    fix: '`defer rows.Close()` right after every Query/QueryContext, and check rows.Err()',
    matches: (g) => top(g) === 'database/sql.(*Rows).awaitDone',
  },
  'http-body-leak': {
    role: 'leak',
    title: 'HTTP response body leak',
    lead: 'net/http.(*persistConn).readLoop',
    what: { one: 'HTTP response body', many: 'HTTP response bodies', verb: 'never closed' },
    rank: 5,
    poolWait: false,
    databaseLeak: false,
    actions: { restart: true, codeFix: true, terminateSessions: false, capIdleTransactions: false },
    fix: '`defer resp.Body.Close()` after every successful client request, and drain the body',
    // An idle keep-alive connection waits inside bufio/net reads; one parked in readLoop's own
    // select is waiting for its caller to read or close the body.
    matches: (g) => top(g) === 'net/http.(*persistConn).readLoop',
  },
  'goroutine-leak': {
    role: 'leak',
    title: 'Goroutine leak',
    lead: 'the goroutine leak profile',
    what: { one: 'goroutine', many: 'goroutines', verb: 'blocked forever (proved leaked by the runtime)' },
    rank: 6,
    poolWait: false,
    databaseLeak: false,
    actions: { restart: true, codeFix: true, terminateSessions: false, capIdleTransactions: false },
    fix: 'give the goroutine a way out: close or drain the channel it waits on, or select on ctx.Done()',
    // Only goroutines the runtime's leak detector proved unreachable (Go 1.26+), and that no
    // other row explains.
    matches: (g) => Object.keys(g.states).some((s) => s.endsWith('(leaked)')),
  },
  'pool-exhausted': {
    role: 'victim',
    title: 'Connection pool exhausted',
    lead: 'database/sql.(*DB).conn',
    what: { one: 'caller', many: 'callers', verb: 'waiting for a free database connection' },
    rank: 7,
    poolWait: true,
    databaseLeak: true,
    actions: { restart: false, codeFix: false, terminateSessions: false, capIdleTransactions: false },
    fix: 'find what holds the connections (leaked transactions or rows, or idle sessions on the database side)',
    // Parked in (*DB).conn itself; a goroutine dialing a new connection has driver frames on top.
    matches: (g) => top(g) === 'database/sql.(*DB).conn' && parked(g),
  },
  'pgx-acquire-wait': {
    role: 'victim',
    title: 'pgxpool exhausted',
    lead: 'pgxpool.(*Pool).Acquire',
    what: { one: 'caller', many: 'callers', verb: 'waiting to acquire a pgxpool connection' },
    rank: 8,
    poolWait: true,
    databaseLeak: true,
    actions: { restart: false, codeFix: false, terminateSessions: false, capIdleTransactions: false },
    fix: 'find what holds the pool: unreleased conns (`defer conn.Release()`), unclosed rows, open transactions',
    matches: (g) => waitsInPoolAcquire(g) && parked(g),
  },
  'stuck-in-query': {
    role: 'victim',
    title: 'Queries stuck on the database',
    lead: 'a driver read',
    what: { one: 'query', many: 'queries', verb: 'waiting on the database for over a minute' },
    rank: 11,
    poolWait: false,
    databaseLeak: false,
    actions: { restart: true, codeFix: true, terminateSessions: false, capIdleTransactions: false },
    fix: 'look at the database side: long-running statements and lock waits; set statement timeouts',
    // Only with wait ages (debug=2): an in-flight query is normal, one waiting for minutes is not.
    matches: (g) =>
      (g.waitMinutes?.max ?? 0) >= 1 &&
      someFrame(g, (fn) => DRIVER_READ.test(fn), 16) &&
      someFrame(g, QUERY_CALLER) &&
      !someFrame(g, (fn) => LISTENER.test(fn)),
  },
} satisfies Record<FindingKind, Omit<Signature, 'kind'>>;

export const SIGNATURES: readonly Signature[] = Object.entries(ROWS).map(([kind, row]) => ({ kind: kind as FindingKind, ...row }));

export function signatureOf(group: StackGroup): Signature | null {
  for (const s of SIGNATURES) if (s.matches(group)) return s;
  return null;
}

const KINDS = new Set<string>(SIGNATURES.map((s) => s.kind));

/** True for the kinds a goroutine dump shows (as opposed to those only the database shows). */
export function isFindingKind(kind: string): kind is FindingKind {
  return KINDS.has(kind);
}

export function signatureByKind(kind: FindingKind): Signature {
  return { kind, ...ROWS[kind] };
}
