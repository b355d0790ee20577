// `leakhound dev` (npm run dev): the Slack app and its worker on this machine, the production code
// with local transports (the in-process queue for SQS, a file or memory for DynamoDB).
// The catalog: --config, else LEAKHOUND_CONFIG, else ./leakhound.yml, else the demo environment
// (embedded PostgreSQL and the leaking billing-api, restartable). With SLACK_APP_TOKEN and
// SLACK_BOT_TOKEN: the real app over Socket Mode. Without: a console (dev-console.ts).
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Catalog } from '../catalog/index.ts';
import { DEMO_APPROVERS, DEMO_MIN_AGE_MS, startDemoEnvironment, type DemoEnvironment } from '../demo/index.ts';
import { createSlackClient } from '../slack/index.ts';
import { ConsoleSink, WebApiSink, type SlackSink } from '../slack/index.ts';
import { MemoryWatchStore } from '../store/index.ts';
import { runWatch } from '../watch/index.ts';
import { summaryText } from './watch.ts';
import { MemoryStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { durationOption, parseCliArgs, validOptions } from './args.ts';
import { ButtonMap, CONSOLE_HELP, runConsole, slackUserId, type ConsoleCommand } from './dev-console.ts';
import { CliError } from './errors.ts';
import { terminalLine, terminalText } from './output.ts';
import { catalogOrFail } from './inputs.ts';
import { startLocalWorker, type LocalWorker } from './local-worker.ts';
import { dim } from './style.ts';
import { textLog } from './text-log.ts';
import { errorMessage } from '../errors/index.ts';

const HELP = `usage: leakhound dev [--config <file> | --demo] [--store <file>] [--user <U…>]
                     [--verify-after 2m] [--evidence <dir>] [--min-age 30s] [--watch-every 5m] [--verbose]

The Slack app and its worker on this machine. The catalog: --config, else $LEAKHOUND_CONFIG,
else ./leakhound.yml, else the demo environment (an embedded PostgreSQL and the leaking
billing-api, as npm run demo starts them; --demo starts it even with a leakhound.yml here).
With SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) set, runs over Socket Mode; without
them, reads lines from stdin and prints what Slack would get.

${CONSOLE_HELP}

  --store         keep incidents and approvals in this JSON file between runs
  --user          who you are at the console (default ULOCALDEV1; in the demo, approver U0DEMO1)
  --verify-after  first verification check this long after a restart or termination
                  (default 2m as deployed, 15s in the demo); later checks scale with it
  --evidence      where evidence is saved before a restart (default <tmp>/leakhound-evidence)
  --min-age       sessions idle this long are suspects (default 30s; 1s in the demo)
  --watch-every   run the watch on this schedule, as the deployed watch function does (default:
                  only when you type "watch"); it prints only when it has something to say
  --verbose       also print each job done`;

const optionsSchema = z
  .object({
    help: z.boolean().optional(),
    config: z.string().min(1).optional(),
    demo: z.boolean().optional(),
    store: z.string().min(1).optional(),
    user: slackUserId.optional(),
    'verify-after': durationOption.pipe(z.number().min(1_000, 'must be at least 1s').max(24 * 3_600_000, 'must be at most 24h')).optional(),
    evidence: z.string().min(1).optional(),
    'min-age': durationOption.optional(),
    'watch-every': durationOption.pipe(z.number().min(10_000, 'must be at least 10s')).optional(),
    verbose: z.boolean().optional(),
  })
  .refine((o) => !(o.demo && o.config), { message: 'and --config exclude each other', path: ['demo'] });
type Options = z.infer<typeof optionsSchema>;

const exists = (path: string) => access(path).then(() => true, () => false);
const say = (line: string) => process.stdout.write(`${terminalText(line)}\n`);
const warn = (line: string) => process.stderr.write(`${terminalLine(line)}\n`);

async function openStore(file: string): Promise<Store> {
  try {
    return await MemoryStore.open(file);
  } catch (err) {
    throw new CliError(`--store ${err instanceof SyntaxError ? `${file}: not JSON: ${err.message}` : errorMessage(err)}`);
  }
}

/** The catalog file to use, or null for the demo environment. */
async function catalogFile(o: Options): Promise<string | null> {
  if (o.demo) return null;
  if (o.config) return o.config;
  if (process.env['LEAKHOUND_CONFIG']) return process.env['LEAKHOUND_CONFIG'];
  return (await exists('leakhound.yml')) ? 'leakhound.yml' : null;
}

export const devCommand = {
  summary: 'the Slack app locally: Socket Mode, or a console that prints what Slack would get',
  async run(argv: string[]): Promise<number> {
    const spec = {
      help: { type: 'boolean', short: 'h' },
      config: { type: 'string' },
      demo: { type: 'boolean' },
      store: { type: 'string' },
      user: { type: 'string' },
      'verify-after': { type: 'string' },
      evidence: { type: 'string' },
      'min-age': { type: 'string' },
      'watch-every': { type: 'string' },
      verbose: { type: 'boolean' },
    } as const;
    const o = validOptions(optionsSchema, parseCliArgs(argv, spec, false).values);
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    const appToken = process.env['SLACK_APP_TOKEN'];
    const botToken = process.env['SLACK_BOT_TOKEN'];
    if (!appToken !== !botToken) throw new CliError('Socket Mode needs both SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…)');

    const file = await catalogFile(o);
    const catalog = file ? await catalogOrFail(file) : null;
    const store: Store = o.store ? await openStore(o.store) : new MemoryStore();
    let demo: DemoEnvironment | null = null;
    let interrupted = false;
    let stopping: (() => void) | null = null;
    const onSignal = () => {
      // A second Ctrl-C does not wait for the cleanup.
      if (interrupted) process.exit(130);
      interrupted = true;
      stopping?.();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      if (!catalog) {
        say(`leakhound dev: ${o.demo ? '--demo' : 'no ./leakhound.yml here (and no --config)'}: starting the demo environment`);
        try {
          demo = await startDemoEnvironment((line) => say(dim(`> ${line}`, process.stdout)));
        } catch (err) {
          throw new CliError(`could not start the demo environment: ${errorMessage(err)}`, 1);
        }
      } else say(`leakhound dev: catalog ${resolve(file!)}`);
      const settings = {
        catalog: catalog ?? demo!.catalog,
        store,
        demo,
        user: o.user ?? (demo ? DEMO_APPROVERS[0] : 'ULOCALDEV1'),
        verifyAfterSeconds: (o['verify-after'] ?? (demo ? 15_000 : 120_000)) / 1000,
        evidenceDir: resolve(o.evidence ?? join(tmpdir(), 'leakhound-evidence')),
        minAgeMs: o['min-age'] ?? (demo ? DEMO_MIN_AGE_MS : undefined),
        verbose: o.verbose ?? false,
        watchStore: new MemoryWatchStore(),
        watchEveryMs: o['watch-every'] ?? null,
      };
      const stop = new Promise<void>((r) => (stopping = r));
      if (interrupted) return 130;
      if (appToken && botToken) await socketMode(settings, appToken, botToken, stop);
      else await consoleMode(settings, stop);
      return interrupted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await demo?.stop();
    }
  },
};

interface Settings {
  catalog: Catalog;
  store: Store;
  demo: DemoEnvironment | null;
  user: string;
  verifyAfterSeconds: number;
  evidenceDir: string;
  minAgeMs: number | undefined;
  verbose: boolean;
  /** The watch's history in this session (the `watch` console line runs one pass). */
  watchStore: MemoryWatchStore;
  /** Run the watch on this schedule (console mode); null: only on demand. */
  watchEveryMs: number | null;
}

function worker(s: Settings, sink: SlackSink): LocalWorker {
  return startLocalWorker({
    catalog: s.catalog,
    store: s.store,
    sink,
    env: process.env,
    evidenceDir: s.evidenceDir,
    verifyAfterSeconds: s.verifyAfterSeconds,
    minAgeMs: s.minAgeMs,
    log: textLog('leakhound dev', { verbose: s.verbose }),
    watchStore: s.watchStore,
  });
}

function whereThingsGo(s: Settings): string {
  return `Evidence goes to ${s.evidenceDir}; verification runs ${s.verifyAfterSeconds} s after a restart (--verify-after).`;
}

async function consoleMode(s: Settings, stop: Promise<void>): Promise<void> {
  const buttons = new ButtonMap(new ConsoleSink());
  const w = worker(s, buttons);
  say(`leakhound dev: no Slack credentials, printing what Slack would get. Services: ${s.catalog.services.map((x) => x.name).join(', ')}. Type "help".`);
  const extra: Record<string, ConsoleCommand> = {
    // One pass of the scheduled watch (functions/watch.ts), on the same console.
    watch: {
      help: 'one run of the watch: a leak developing before the alarm, or back after a restart',
      run: async () => {
        const r = await runWatch({ catalog: s.catalog, store: s.watchStore, sink: buttons, gather: { env: process.env } }, s.minAgeMs !== undefined ? { minAgeMs: s.minAgeMs } : {});
        return summaryText(r).trimEnd();
      },
    },
  };
  if (s.demo) {
    const svc = s.demo.service;
    extra['drive-leaks'] = { help: 'make billing-api leak again (after a restart)', run: async () => (await svc.leak(), '(billing-api leaked 3 transactions, 3 result sets and 2 response bodies again)') };
    const approvers = s.catalog.services[0]!.approvers.users;
    say(
      [
        `Demo environment ready: ${svc.describe} leaks connections until its database is full.`,
        `You are ${s.user}, one of billing-api's two approvers (${approvers.join(', ')}). Type first:`,
        '  alarm billing-api',
        `then the Restart button: click restart <incident id>; and approve as the other approver: as ${approvers.find((u) => u !== s.user) ?? approvers[0]}, click approve <approval id>.`,
        whereThingsGo(s),
      ].join('\n'),
    );
  } else say(`You are ${s.user}. ${whereThingsGo(s)}`);
  // The deployed schedule, locally: one run at a time, heard from only when it says something.
  let watching = false;
  const timer = s.watchEveryMs
    ? setInterval(() => {
        if (watching) return;
        watching = true;
        runWatch({ catalog: s.catalog, store: s.watchStore, sink: buttons, gather: { env: process.env } }, s.minAgeMs !== undefined ? { minAgeMs: s.minAgeMs } : {})
          .then((r) => {
            if (r.outcomes.some((o) => o.said !== 'nothing') || r.problems.length) say(summaryText(r).trimEnd());
          })
          .catch((err: unknown) => warn(`leakhound dev: watch: ${errorMessage(err)}`))
          .finally(() => (watching = false));
      }, s.watchEveryMs)
    : null;
  timer?.unref();
  void stop.then(() => timer && clearInterval(timer));
  const lines = createInterface({ input: process.stdin, terminal: false });
  void stop.then(() => lines.close());
  await runConsole({ catalog: s.catalog, store: s.store, worker: w, buttons, user: s.user, lines, say, warn, extra });
  if (timer) clearInterval(timer);
  // After `quit` the terminal is still open: stop reading it, or the process never ends.
  lines.close();
  process.stdin.destroy();
  const dropped = w.close();
  if (dropped) say(`(leakhound dev: ${dropped} scheduled job${dropped === 1 ? '' : 's'} not run: the console ended)`);
}

async function socketMode(s: Settings, appToken: string, botToken: string, stop: Promise<void>): Promise<void> {
  const { SocketModeReceiver } = await import('@slack/bolt');
  const { createSlackApp } = await import('../slack/app/bolt-app.ts');
  const w = worker(s, new WebApiSink(createSlackClient(botToken), { secrets: [appToken] }));
  const app = createSlackApp({ receiver: new SocketModeReceiver({ appToken }), token: botToken, store: s.store, queue: w.queue, catalog: s.catalog, secrets: [appToken], pageLinker: w.deps.pageLinker ?? null });
  await app.start();
  say(`leakhound dev: connected to Slack over Socket Mode; /leak is live for ${s.catalog.services.length} services. ${whereThingsGo(s)} Ctrl-C to stop.`);
  await stop;
  await app.stop();
  await w.settled();
  w.close();
}
