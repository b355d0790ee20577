// The PgBouncer section of a Report: its pools, the service's sessions with the client each is
// linked to, and the clients left waiting (the pooler's victims), by address and replica. Pure.
import type { PgBouncerRead, PgBouncerSection, PoolerLink } from './model.ts';

const MAX_LINKS = 50;

export function pgbouncerSection(read: PgBouncerRead, links: Map<number, PoolerLink>, ours: ReadonlySet<number>, replicaOf: (address: string) => string | null): PgBouncerSection {
  const all = [...links.values()];
  const waiting = new Map<string, { address: string; replica: string | null; clients: number; maxWaitSeconds: number }>();
  for (const c of read.clients) {
    if (c.state !== 'waiting' && c.state !== 'waiting_cancel_req') continue;
    const address = c.addr === 'unix' ? 'local' : c.addr;
    const e = waiting.get(address) ?? { address, replica: replicaOf(address), clients: 0, maxWaitSeconds: 0 };
    e.clients++;
    waiting.set(address, e);
  }
  // Per-client wait is not in SHOW CLIENTS of every version; the pools' maxwait bounds it.
  const maxWait = Math.max(0, ...read.pools.map((p) => p.maxWaitSeconds));
  for (const e of waiting.values()) e.maxWaitSeconds = maxWait;
  return {
    target: read.target,
    version: read.version,
    pools: read.pools.filter((p) => p.database !== 'pgbouncer'),
    servers: all.length,
    linked: all.filter((l) => l.client !== null).length,
    links: all.filter((l) => ours.has(l.pid)).slice(0, MAX_LINKS),
    waiting: [...waiting.values()].sort((a, b) => b.clients - a.clients),
  };
}
