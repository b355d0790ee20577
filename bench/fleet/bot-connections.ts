// Measures, rather than assumes, how many database connections the bot holds at once: samples
// the server's backend status every ~20 ms, on the bench's own connection (another role,
// another application_name, so never counted), for backends whose application_name is the
// bot's.
//
// Not through the pg_stat_activity view: with 5,000 backends one read of it costs the server
// 35-110 ms here, so sampling it every 20 ms would take most of a core from the triage being
// measured on this 2-core machine. The functions the view is built on are cheap when asked
// narrowly: list backend ids, keep those of the bot's role (one array lookup each), and read
// pg_stat_get_activity(pid) — the view's own row, application_name included — for those only.
// 2-10 ms a sample.
import pg from 'pg';

/** What lib/sessions sets as application_name (the default in snapshot.ts and terminate.ts). */
export const BOT_APPLICATION_NAME = 'leakhound';
/** The role infra/grants/postgres.sql creates for the bot. */
export const BOT_ROLE = 'leakhound';
const INTERVAL_MS = 20;

const SAMPLE_SQL = `
SELECT a.pid, a.application_name
FROM (SELECT pg_stat_get_backend_pid(id) AS pid
      FROM pg_stat_get_backend_idset() id
      WHERE pg_stat_get_backend_userid(id) = $1::regrole) b
CROSS JOIN LATERAL pg_stat_get_activity(b.pid) a`;

export interface BotConnectionSampler {
  start(): void;
  /** Stops sampling and returns what was seen. */
  stop(): Promise<BotConnections>;
  close(): Promise<void>;
}

export interface BotConnections {
  samples: number;
  /** Most backends named `leakhound` alive in one sample: the figure asked for. */
  maxAtOnce: number;
  /** Most backends of the bot's role in one sample, whatever their name (a cross-check). */
  maxOfRoleAtOnce: number;
  /** Samples that caught a bot backend. */
  samplesWithBot: number;
  /** Distinct bot backends (pids): one per triage run when each run opens one connection. */
  distinctBackends: number;
  /** Median time between the starts of consecutive samples, and the median sample's cost. */
  medianIntervalMs: number;
  medianSampleMs: number;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);

export async function botConnectionSampler(databaseUrl: string): Promise<BotConnectionSampler> {
  const admin = new pg.Client({ connectionString: databaseUrl, application_name: 'leakhound-bench-sampler' });
  admin.on('error', () => undefined);
  await admin.connect();
  const seenPids = new Set<number>();
  const startedAt: number[] = [];
  const took: number[] = [];
  let maxAtOnce = 0;
  let maxOfRoleAtOnce = 0;
  let samplesWithBot = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let inFlight: Promise<void> = Promise.resolve();
  let failure: unknown = null;

  const sample = async (): Promise<void> => {
    const t0 = performance.now();
    startedAt.push(t0);
    const { rows } = await admin.query<{ pid: number; application_name: string | null }>(SAMPLE_SQL, [BOT_ROLE]);
    took.push(performance.now() - t0);
    const bot = rows.filter((r) => r.application_name === BOT_APPLICATION_NAME);
    for (const r of bot) seenPids.add(r.pid);
    if (bot.length) samplesWithBot++;
    maxAtOnce = Math.max(maxAtOnce, bot.length);
    maxOfRoleAtOnce = Math.max(maxOfRoleAtOnce, rows.length);
  };
  // Each sample starts INTERVAL_MS after the previous one ended: samples never pile up.
  const loop = (): void => {
    if (!running) return;
    inFlight = sample().then(
      () => void (timer = setTimeout(loop, INTERVAL_MS)),
      (err: unknown) => {
        running = false;
        failure = err;
      },
    );
  };

  return {
    start() {
      running = true;
      loop();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight;
      if (failure) throw failure;
      return {
        samples: startedAt.length,
        maxAtOnce,
        maxOfRoleAtOnce,
        samplesWithBot,
        distinctBackends: seenPids.size,
        medianIntervalMs: median(startedAt.slice(1).map((t, i) => t - startedAt[i]!)),
        medianSampleMs: median(took),
      };
    },
    async close() {
      running = false;
      clearTimeout(timer);
      await inFlight;
      await admin.end().catch(() => undefined);
    },
  };
}
