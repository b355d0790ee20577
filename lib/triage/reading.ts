// Before/after numbers for verification, read the same way both times: database-wide client
// sessions and idle transactions (a restarted service comes back with new addresses, so the
// service's own sessions cannot be told apart reliably), plus the load balancer's 504s.
import type { ServiceMetrics } from '../metrics/index.ts';
import type { Snapshot } from '../sessions/index.ts';
import type { Reading } from './report.ts';

export function readingOf(snapshot: Snapshot | null, metrics: ServiceMetrics | null): Reading {
  const readable = snapshot !== null && !snapshot.problems.some((p) => p.fatal);
  const points = metrics?.elb504?.points ?? null;
  return {
    connections: readable ? (snapshot.capacity?.inUse ?? snapshot.sessions.length) : null,
    idleInTransaction: readable ? snapshot.sessions.filter((s) => s.state === 'idle_in_transaction' || s.state === 'idle_in_transaction_aborted').length : null,
    // The most recent period: "are there still 504s now", not the sum over the alarm window.
    elb504: points && points.length ? points[points.length - 1]!.value : null,
  };
}
