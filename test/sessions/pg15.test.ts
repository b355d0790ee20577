// The PostgreSQL situations on the machine's PostgreSQL 15.
import { describe } from 'vitest';
import { postgresScenario } from './pg-scenario.ts';
import { assertAvailable, PG15_URL, pgReachable, skipUnless } from '../support/db-sessions.ts';

const available = await pgReachable(PG15_URL);

describe.skipIf(skipUnless(available))('sessions on PostgreSQL 15 (system server)', () => {
  postgresScenario(async () => {
    assertAvailable(available, `PostgreSQL at ${PG15_URL}`);
    return { adminUrl: PG15_URL, major: 15 };
  });
});
