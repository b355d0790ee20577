// The table of leak signatures: which stacks mean what. Adding a signature is adding a row.
//
// A `leak` row matches the goroutine that holds the leaked resource (its culprit is whoever
// opened it: labels, ancestry, creator). A `victim` row matches goroutines waiting because of a
// leak elsewhere (its culprit is the application code that is starving). Stacks that match no
// row (connectionOpener, connectionCleaner, idle keep-alive readers, servers' accept loops) are
// benign and never reported.
import { packageOf } from './functions.ts';
import type { FindingKind, StackGroup } from './model.ts';

export interface Signature {
  kind: FindingKind;
  role: 'leak' | 'victim';
  /** Where the resource is held or awaited, for the summary. */
  what: { one: string; many: string; verb: string };
  /** The remedy in code, for the report's recommended actions. */
  fix: string;
  matches(group: StackGroup): boolean;
}

const has = (g: StackGroup, fn: string): boolean => g.frames.some((f) => f.function === fn);
const top = (g: StackGroup): string => g.frames[0]?.function ?? '';

const PGX_WAIT_PACKAGES = new Set([
  'github.com/jackc/puddle',
  'github.com/jackc/puddle/v2',
  'golang.org/x/sync/semaphore',
  'github.com/jackc/pgx/v4/pgxpool',
  'github.com/jackc/pgx/v5/pgxpool',
]);
const PGX_ACQUIRE = /^github\.com\/jackc\/(pgx\/v[45]\/pgxpool\.\(\*Pool\)\.Acquire|puddle(\/v2)?\.\(\*Pool\)\.(Acquire|acquire))/;

// Driver frames that read a query's reply from the network.
const DRIVER_READ = /^(github\.com\/lib\/pq\.\(\*conn\)\.recv|github\.com\/go-sql-driver\/mysql\.\(\*(mysqlConn|buffer)\)\.(readPacket|fill|readNext)|github\.com\/jackc\/pgx\/v[45]\/pgconn\.\(\*PgConn\)\.(receiveMessage|peekMessage))/;

export const SIGNATURES: readonly Signature[] = [
  {
    kind: 'tx-leak',
    role: 'leak',
    what: { one: 'transaction', many: 'transactions', verb: 'never committed or rolled back' },
    fix: 'end every transaction on every path: `defer tx.Rollback()` right after BeginTx (a no-op after Commit)',
    matches: (g) => has(g, 'database/sql.(*Tx).awaitDone'),
  },
  {
    kind: 'rows-leak',
    role: 'leak',
    what: { one: 'result set', many: 'result sets', verb: 'never closed' },
    fix: '`defer rows.Close()` right after every Query/QueryContext, and check rows.Err()',
    matches: (g) => has(g, 'database/sql.(*Rows).awaitDone'),
  },
  {
    kind: 'http-body-leak',
    role: 'leak',
    what: { one: 'HTTP response body', many: 'HTTP response bodies', verb: 'never closed' },
    fix: '`defer resp.Body.Close()` after every successful client request, and drain the body',
    // An idle keep-alive connection waits inside bufio/net reads; one parked in readLoop's own
    // select is waiting for its caller to read or close the body.
    matches: (g) => top(g) === 'net/http.(*persistConn).readLoop',
  },
  {
    kind: 'pool-exhausted',
    role: 'victim',
    what: { one: 'caller', many: 'callers', verb: 'waiting for a free database connection' },
    fix: 'find what holds the connections (leaked transactions or rows, or idle sessions on the database side)',
    // Parked in (*DB).conn itself; a goroutine dialing a new connection has driver frames on top.
    matches: (g) => top(g) === 'database/sql.(*DB).conn',
  },
  {
    kind: 'pgx-acquire-wait',
    role: 'victim',
    what: { one: 'caller', many: 'callers', verb: 'waiting to acquire a pgxpool connection' },
    fix: 'find what holds the pool: unreleased conns (`defer conn.Release()`), unclosed rows, open transactions',
    matches: (g) => PGX_WAIT_PACKAGES.has(packageOf(top(g))) && g.frames.some((f) => PGX_ACQUIRE.test(f.function)),
  },
  {
    kind: 'stuck-in-query',
    role: 'victim',
    what: { one: 'query', many: 'queries', verb: 'waiting on the database for over a minute' },
    fix: 'look at the database side: long-running statements and lock waits; set statement timeouts',
    // Only with wait ages (debug=2): an in-flight query is normal, one waiting for minutes is not.
    matches: (g) =>
      (g.waitMinutes?.max ?? 0) >= 1 &&
      g.frames.slice(0, 8).some((f) => DRIVER_READ.test(f.function)) &&
      g.frames.some((f) => f.function.startsWith('database/sql.') || f.function.includes('/pgx/')),
  },
];

export function signatureOf(group: StackGroup): Signature | null {
  for (const s of SIGNATURES) if (s.matches(group)) return s;
  return null;
}

export function signatureByKind(kind: FindingKind): Signature {
  return SIGNATURES.find((s) => s.kind === kind)!;
}
