// The PostgreSQL situations on an embedded PostgreSQL 18 (started and removed by this file).
import { afterAll, describe } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/localdb/embedded-postgres.ts';
import { postgresScenario } from './pg-scenario.ts';
import { REQUIRE_ALL } from '../support/db-sessions.ts';

let server: RunningPostgres | null = null;
let startError: unknown = null;
try {
  server = await startEmbeddedPostgres({ maxConnections: 40, reservedConnections: 2 });
} catch (err) {
  startError = err;
}

describe.skipIf(!server && !REQUIRE_ALL)('sessions on PostgreSQL 18 (embedded)', () => {
  afterAll(async () => {
    await server?.stop();
  });
  postgresScenario(async () => {
    if (!server) throw new Error(`embedded PostgreSQL did not start: ${String(startError)}`);
    return { adminUrl: server.url, major: 18 };
  });
});
