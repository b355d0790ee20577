// The real debug=1 goroutine dumps the replicas serve, in rotation: the one captured from this
// project's Go service and every debug=1 goroutine profile of the wild corpus (public bug
// reports; test/fixtures/wild/expected.json lists them as format debug1). The corpus's
// goroutineleak profile is left out: it is what /debug/pprof/goroutineleak serves, and these
// replicas, like a Go runtime before 1.26, serve none.
import { readFileSync } from 'node:fs';

export const DUMP_FIXTURES = [
  'dumps/go119-debug1.txt',
  'wild/dumps/ai-viewer-debug1-tabwriter-sqlite-pool.txt',
  'wild/dumps/go-issue-16953-debug1-excerpt-no-header.txt',
  'wild/dumps/go-issue-22773-debug1-hash-lost-spaces.txt',
  'wild/dumps/lib-pq-594-debug1-vendored-redacted.txt',
  'wild/dumps/mysql-1011-debug1-log-prefixed-header.txt',
  'wild/dumps/mysql-699-debug1-spaces-for-tabs.txt',
  'wild/dumps/pgx-713-puddle-v1-cond-wait-debug1.txt',
  'wild/dumps/sqlx-blog-debug1-pool-exhausted-30633.txt',
] as const;

/** Fixture path (under test/fixtures) → its bytes. */
export function loadDumpFixtures(): Map<string, Buffer> {
  return new Map(DUMP_FIXTURES.map((f) => [f, readFileSync(new URL(`../../test/fixtures/${f}`, import.meta.url))]));
}
