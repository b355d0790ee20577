// Fleet bench child: holds the database's client sessions, so their 5,000 sockets weigh on
// this process and not on the triage being measured. Opens them on `open-sessions`, answers
// `sessions-open`, then holds them until the parent goes away.
import pg from 'pg';
import { log, receive, runChild, send } from './ipc.ts';
import { planSession, type SessionPlan } from './session-mix.ts';

const LIFETIME_MS = 30 * 60_000;
const clients: pg.Client[] = [];

async function open(url: string, plan: SessionPlan): Promise<void> {
  const client = new pg.Client({ connectionString: url, ...(plan.application ? { application_name: plan.application } : {}) });
  client.on('error', () => undefined); // the server goes away at the end of the bench
  await client.connect();
  clients.push(client);
  for (const sql of plan.statements) await client.query(sql);
}

async function main(): Promise<void> {
  const { databaseUrl, sessions, concurrency } = await receive('open-sessions');
  const started = performance.now();
  const byApplication: Record<string, number> = {};
  const byState: Record<string, number> = {};
  let next = 0;
  // A fixed number of workers: bounded concurrency without a library.
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < sessions) {
        const plan = planSession(next++);
        await open(databaseUrl, plan);
        byApplication[plan.application] = (byApplication[plan.application] ?? 0) + 1;
        byState[plan.state] = (byState[plan.state] ?? 0) + 1;
        if (clients.length % 500 === 0) log(`${clients.length} sessions open`);
      }
    }),
  );
  send({ type: 'sessions-open', opened: clients.length, seconds: (performance.now() - started) / 1000, byApplication, byState });
}

async function closeAll(): Promise<void> {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
}

runChild('fleet sessions', LIFETIME_MS, main, closeAll);
