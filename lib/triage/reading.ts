// Before/after numbers for verification, read the same way both times: the client sessions of
// the service's database (and of the service itself, by application_name, when it sets one —
// a restarted service comes back with new addresses, so addresses cannot tie them), plus the
// load balancer's 504s. Other databases on the same server are not counted.
import type { ServiceMetrics } from '../metrics/index.ts';
import type { Session, Snapshot } from '../sessions/index.ts';
import { namesService } from './attribution.ts';
import type { Reading } from './report.ts';

export function readingOf(snapshot: Snapshot | null, metrics: ServiceMetrics | null, applicationNames?: readonly string[]): Reading {
  const readable = snapshot !== null && !snapshot.problems.some((p) => p.fatal);
  const sessions = readable ? scoped(snapshot, applicationNames) : [];
  const points = metrics?.elb504?.points ?? null;
  return {
    connections: readable ? sessions.length : null,
    idleInTransaction: readable ? sessions.filter((s) => s.state === 'idle_in_transaction' || s.state === 'idle_in_transaction_aborted').length : null,
    // The most recent period: "are there still 504s now", not the sum over the alarm window.
    elb504: points && points.length ? points[points.length - 1]!.value : null,
  };
}

/**
 * Sessions on the database the service uses. A snapshot lists the whole server (the capacity is
 * shared), but sessions on its other databases belong to other services.
 */
export function sessionsInDatabase(snapshot: Snapshot): Session[] {
  const database = databaseOf(snapshot.target);
  return database ? snapshot.sessions.filter((s) => s.database === null || s.database === database) : snapshot.sessions;
}

function scoped(snapshot: Snapshot, applicationNames: readonly string[] | undefined): Session[] {
  const inDatabase = sessionsInDatabase(snapshot);
  const own = applicationNames ? inDatabase.filter((s) => namesService(s, applicationNames)) : [];
  return own.length > 0 ? own : inDatabase;
}

/** The database named in the (redacted) target URL, if any. */
function databaseOf(target: string): string | null {
  try {
    const name = decodeURIComponent(new URL(target).pathname.replace(/^\//, ''));
    return name || null;
  } catch {
    return null;
  }
}
