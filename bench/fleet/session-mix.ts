// The sessions a shared database holds while one service leaks: several applications (the
// service's own `billing-api` and others), most connections idle in their pools, about 15 %
// idle in an open transaction, last statements carrying literals (emails, ids, IN-lists) that
// the bot must fingerprint before anything leaves it.

/** The table the statements touch; the parent creates it with SESSION_ROWS rows. */
export const TABLE_SQL = `CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL, balance int NOT NULL)`;
export const fillTableSql = (rows: number) =>
  `INSERT INTO accounts SELECT g, 'user' || g || '@example.com', 1000 FROM generate_series(1, ${rows}) g`;

export type PlannedState = 'idle' | 'idle in transaction';

export interface SessionPlan {
  /** application_name, '' for a client that sets none (psql scripts, old drivers). */
  application: string;
  state: PlannedState;
  /** Run in order after connecting; the last one is what pg_stat_activity shows. */
  statements: string[];
}

// Per 20 sessions: 10 billing-api, 5 orders-api, 2 reports-cron, 2 ledger-worker, 1 unnamed.
const APPLICATIONS = [...Array(10).fill('billing-api'), ...Array(5).fill('orders-api'), 'reports-cron', 'reports-cron', 'ledger-worker', 'ledger-worker', ''] as string[];

/** Session `i` of the mix; ids stay distinct so open transactions never wait on each other's locks. */
export function planSession(i: number): SessionPlan {
  const application = APPLICATIONS[i % APPLICATIONS.length]!;
  // The state cycles on the round of 20, so every application gets its share of each state.
  const round = Math.floor(i / APPLICATIONS.length) % 20;
  const id = i + 1;
  if (round < 3) {
    const route = application === 'billing-api' ? `/*route='/transfer',action='debit'*/ ` : '';
    return {
      application,
      state: 'idle in transaction',
      statements: ['BEGIN', `${route}UPDATE accounts SET balance = balance - ${(i % 90) + 10} WHERE id = ${id} AND email <> 'user${id}@example.org'`],
    };
  }
  const last = [
    `SELECT id, balance FROM accounts WHERE email = 'user${id}@example.com'`,
    `SELECT id, balance FROM accounts WHERE id IN (${id}, ${id + 1}, ${id + 2}, ${id + 3})`,
    `SELECT balance FROM accounts WHERE id = ${id}`,
    'SELECT 1',
  ][i % 4]!;
  return { application, state: 'idle', statements: [last] };
}
