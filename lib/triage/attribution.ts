// Which database sessions belong to a service. A session belongs to the application named by its
// application_name; the client address decides only when that is empty, because several
// applications share an address all the time (pods on one node with hostNetwork, NAT, sidecars,
// cron jobs on the same VM, poolers). Nothing here ever widens a service's sessions to others'.
import type { Session } from '../sessions/index.ts';

export type AttributedBy = 'application_name' | 'client_address';

export interface AttributedSession {
  session: Session;
  by: AttributedBy;
}

// PgBouncer with application_name_add_host = 1 sends "billing-api - 10.0.1.5:41234".
const POOLER_SUFFIX = / - (\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+):\d+$/;

/** The application a session names, as the service would have set it (pooler suffix removed). */
export function applicationOf(session: Pick<Session, 'application'>): string | null {
  const name = session.application?.replace(POOLER_SUFFIX, '').trim();
  return name ? name : null;
}

/** True when the session names one of the service's application names (case-insensitive). */
export function namesService(session: Pick<Session, 'application'>, applicationNames: readonly string[]): boolean {
  const app = applicationOf(session)?.toLowerCase();
  return app !== undefined && applicationNames.some((n) => n.toLowerCase() === app);
}

/**
 * The service's sessions and how each was tied to it: by its application_name, or (only when it
 * sets none) by coming from the address of one of the service's replicas.
 */
export function attributeSessions(sessions: readonly Session[], applicationNames: readonly string[], replicaAddresses: ReadonlySet<string>): AttributedSession[] {
  const out: AttributedSession[] = [];
  for (const session of sessions) {
    if (applicationOf(session) !== null) {
      if (namesService(session, applicationNames)) out.push({ session, by: 'application_name' });
    } else if (session.clientAddress !== null && replicaAddresses.has(session.clientAddress)) {
      out.push({ session, by: 'client_address' });
    }
  }
  return out;
}
