// Seeing through PgBouncer: pg_stat_activity shows PgBouncer's address (or `local`) for every
// pooled session. SHOW SERVERS ties a backend (remote_pid) to PgBouncer's server connection,
// whose `link` is the client it serves now; SHOW CLIENTS gives that client's address, port and
// application_name. Sessions are rewritten to the client's address and name, so attribution and
// the replica table work as without the pooler. Pure.
import type { Session, Snapshot } from '../sessions/index.ts';
import type { PgBouncerConnection, PgBouncerRead, PoolMode, PoolerLink } from './model.ts';

/** The application of server connections no client holds: PgBouncer's own, never a service's. */
export const POOLER_IDLE_APPLICATION = 'pgbouncer (server connection held by no client)';

// PgBouncer's connect_time has whole seconds; a backend starts when PgBouncer connects it.
const SAME_CONNECTION_MS = 5_000;

export interface SeenThrough {
  snapshot: Snapshot;
  /** pid → what PgBouncer says about that backend. */
  links: Map<number, PoolerLink>;
}

function sameConnection(session: Session, server: PgBouncerConnection): boolean {
  if (server.connectTimeMs === null || session.backendStart === null) return true;
  return Math.abs(Date.parse(session.backendStart) - server.connectTimeMs) <= SAME_CONNECTION_MS;
}

/** `unix` (a socket) is what pg_stat_activity calls `local`. */
function addressOf(c: PgBouncerConnection): string {
  return c.addr === 'unix' ? 'local' : c.addr;
}

export function seeThroughPgBouncer(snapshot: Snapshot, read: PgBouncerRead, replicaOf: (address: string) => string | null): SeenThrough {
  const servers = new Map<number, PgBouncerConnection>();
  for (const s of read.servers) if (s.remotePid > 0) servers.set(s.remotePid, s);
  const clients = new Map(read.clients.map((c) => [c.ptr, c]));
  const modes = new Map<string, PoolMode | null>(read.pools.map((p) => [`${p.database}\u0000${p.user}`, p.mode]));
  const links = new Map<number, PoolerLink>();
  const sessions = snapshot.sessions.map((session): Session => {
    const server = servers.get(session.id);
    if (!server || !sameConnection(session, server)) return session;
    const mode = modes.get(`${server.database}\u0000${server.user}`) ?? null;
    const client = server.link ? clients.get(server.link) : undefined;
    if (!client || client.link !== server.ptr) {
      links.set(session.id, { pid: session.id, mode, client: null, clientAddress: null, application: null, replica: null });
      return { ...session, application: POOLER_IDLE_APPLICATION };
    }
    const address = addressOf(client);
    links.set(session.id, {
      pid: session.id,
      mode,
      client: `${address}:${client.port}`,
      clientAddress: address,
      application: client.applicationName || null,
      replica: replicaOf(address),
    });
    // The client's own name and address: what the session would show without the pooler.
    return { ...session, application: client.applicationName || session.application, clientAddress: address, clientPort: client.port };
  });
  return { snapshot: { ...snapshot, sessions }, links };
}
