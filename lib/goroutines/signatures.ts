// The table of leak signatures: which stacks mean what. Adding a signature is adding a row.
//
// A `leak` row matches the goroutine that holds the leaked resource (its culprit is whoever
// opened it: labels, ancestry, creator). A `victim` row matches goroutines waiting because of a
// leak elsewhere (its culprit is the application code that is starving). Stacks that match no
// row (connectionOpener, connectionCleaner, idle keep-alive readers, servers' accept loops) are
// benign and never reported.
import { canonicalFunction, packageOf } from './functions.ts';
import type { FindingKind, StackGroup } from './model.ts';

export interface Signature {
  kind: FindingKind;
  role: 'leak' | 'victim';
  /** What a person calls it: "Transaction leak". */
  title: string;
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

export const SIGNATURES: readonly Signature[] = [
  {
    kind: 'tx-leak',
    role: 'leak',
    title: 'Transaction leak',
    lead: 'database/sql.(*Tx).awaitDone',
    what: { one: 'transaction', many: 'transactions', verb: 'never committed or rolled back' },
    fix: 'end every transaction on every path: `defer tx.Rollback()` right after BeginTx (a no-op after Commit)',
    // Parked in awaitDone itself. One already in (*Tx).rollback had its context fire: it is
    // ending, not leaked.
    matches: (g) => top(g) === 'database/sql.(*Tx).awaitDone',
  },
  {
    kind: 'rows-leak',
    role: 'leak',
    title: 'Rows leak',
    lead: 'database/sql.(*Rows).awaitDone',
    what: { one: 'result set', many: 'result sets', verb: 'never closed' },
    fix: '`defer rows.Close()` right after every Query/QueryContext, and check rows.Err()',
    matches: (g) => top(g) === 'database/sql.(*Rows).awaitDone',
  },
  {
    kind: 'http-body-leak',
    role: 'leak',
    title: 'HTTP response body leak',
    lead: 'net/http.(*persistConn).readLoop',
    what: { one: 'HTTP response body', many: 'HTTP response bodies', verb: 'never closed' },
    fix: '`defer resp.Body.Close()` after every successful client request, and drain the body',
    // An idle keep-alive connection waits inside bufio/net reads; one parked in readLoop's own
    // select is waiting for its caller to read or close the body.
    matches: (g) => top(g) === 'net/http.(*persistConn).readLoop',
  },
  {
    kind: 'goroutine-leak',
    role: 'leak',
    title: 'Goroutine leak',
    lead: 'the goroutine leak profile',
    what: { one: 'goroutine', many: 'goroutines', verb: 'blocked forever (proved leaked by the runtime)' },
    fix: 'give the goroutine a way out: close or drain the channel it waits on, or select on ctx.Done()',
    // Only goroutines the runtime's leak detector proved unreachable (Go 1.26+), and that no
    // other row explains.
    matches: (g) => Object.keys(g.states).some((s) => s.endsWith('(leaked)')),
  },
  {
    kind: 'pool-exhausted',
    role: 'victim',
    title: 'Connection pool exhausted',
    lead: 'database/sql.(*DB).conn',
    what: { one: 'caller', many: 'callers', verb: 'waiting for a free database connection' },
    fix: 'find what holds the connections (leaked transactions or rows, or idle sessions on the database side)',
    // Parked in (*DB).conn itself; a goroutine dialing a new connection has driver frames on top.
    matches: (g) => top(g) === 'database/sql.(*DB).conn' && parked(g),
  },
  {
    kind: 'pgx-acquire-wait',
    role: 'victim',
    title: 'pgxpool exhausted',
    lead: 'pgxpool.(*Pool).Acquire',
    what: { one: 'caller', many: 'callers', verb: 'waiting to acquire a pgxpool connection' },
    fix: 'find what holds the pool: unreleased conns (`defer conn.Release()`), unclosed rows, open transactions',
    matches: (g) => waitsInPoolAcquire(g) && parked(g),
  },
  {
    kind: 'stuck-in-query',
    role: 'victim',
    title: 'Queries stuck on the database',
    lead: 'a driver read',
    what: { one: 'query', many: 'queries', verb: 'waiting on the database for over a minute' },
    fix: 'look at the database side: long-running statements and lock waits; set statement timeouts',
    // Only with wait ages (debug=2): an in-flight query is normal, one waiting for minutes is not.
    matches: (g) =>
      (g.waitMinutes?.max ?? 0) >= 1 &&
      someFrame(g, (fn) => DRIVER_READ.test(fn), 16) &&
      someFrame(g, QUERY_CALLER) &&
      !someFrame(g, (fn) => LISTENER.test(fn)),
  },
];

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
  return SIGNATURES.find((s) => s.kind === kind)!;
}
